"""CSV and XLSX downloads of a table, shared by the pages and the API.

CSV is UTF-8 with a BOM (so Excel on a Chinese Windows opens it as UTF-8). A text cell that
starts with ``= + - @``, a tab, a carriage return or NUL is prefixed with ``'`` so a
spreadsheet never runs it as a formula (CSV injection). Numbers are written as numbers.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text starting a formula gets a ``'`` prefix;
    None becomes ""; numbers and dates pass through (a negative number is a number, not a
    formula)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    cell: Callable[[Any], Any] = safe_cell,
) -> bytes:
    """The table as CSV bytes: UTF-8 with a BOM, CRLF line ends, every cell made safe with
    ``cell`` (``safe_cell`` or a variant of it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def rows_to_csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download (UTF-8 with BOM) of ``header`` then ``rows``."""
    response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename)
    return response


def rows_to_xlsx_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1"
) -> HttpResponse:
    """An XLSX download of ``header`` then ``rows`` (Decimals written as numbers)."""
    response = HttpResponse(xlsx_bytes([(sheet, header, rows)]), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.isoformat()  # spreadsheets have no time zones: keep the offset as text
    cell = safe_cell(value)
    if isinstance(cell, str):
        # XLSX cannot hold control characters (openpyxl refuses them): drop them.
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        cell = ILLEGAL_CHARACTERS_RE.sub("", cell)
    return cell


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per ``(name, header, rows)``; cells made safe with
    ``safe_cell``, Decimals written as numbers, aware datetimes as ISO 8601 text."""
    from openpyxl import Workbook  # imported here: only downloads need it

    workbook = Workbook(write_only=True)
    for name, header, rows in sheets:
        worksheet = workbook.create_sheet(title=name[:31])
        worksheet.append([_xlsx_cell(cell) for cell in header])
        for row in rows:
            worksheet.append([_xlsx_cell(cell) for cell in row])
    if not workbook.worksheets:
        workbook.create_sheet(title="Sheet1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
