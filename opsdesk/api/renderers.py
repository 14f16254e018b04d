"""CSV for report exports: UTF-8 with a BOM (Excel opens it as UTF-8), and every cell that a
spreadsheet would run as a formula neutralised (CSV injection)."""

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rest_framework.renderers import BaseRenderer

from opsdesk.exports import XLSX_TYPE, xlsx_bytes

#: Leading characters that make a spreadsheet treat a cell as a formula (or strip it).
FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: Any) -> str:
    """A value as a safe CSV cell: None is empty; text starting with a formula character is
    prefixed with an apostrophe; NUL characters are dropped. Numbers stay numbers (a negative
    decimal is not text a person typed, so it is kept as is)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_LEADERS):
        text = "'" + text
    return text.replace("\0", "")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The table as UTF-8-with-BOM CSV bytes, cells escaped with ``csv_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class CsvRenderer(BaseRenderer):
    """Renders ``{"header": [...], "rows": [[...], ...]}`` as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return csv_bytes(data["header"], data["rows"])


class XlsxRenderer(BaseRenderer):
    """Renders ``{"tables": [{"name", "header", "rows"}, ...]}`` (one sheet per table) or
    ``{"header": [...], "rows": [...]}`` (one sheet) as an XLSX workbook."""

    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if "tables" in data:
            sheets = [(t["name"], t["header"], t["rows"]) for t in data["tables"]]
        else:
            sheets = [(data.get("name", "report"), data["header"], data["rows"])]
        return xlsx_bytes(sheets)
