"""CSV for report exports: UTF-8 with a BOM (Excel opens it as UTF-8), and every cell that a
spreadsheet would run as a formula neutralised (CSV injection)."""

from collections.abc import Iterable, Sequence
from typing import Any

from rest_framework.renderers import BaseRenderer

from opsdesk.exports import FORMULA_STARTS, XLSX_TYPE, safe_cell, xlsx_bytes
from opsdesk.exports import csv_bytes as exports_csv_bytes

#: Leading characters that make a spreadsheet treat a cell as a formula (or strip it).
FORMULA_LEADERS = FORMULA_STARTS


def csv_cell(value: Any) -> str:
    """A value as the text of a safe CSV cell (``opsdesk.exports.safe_cell``): None is empty,
    booleans are true/false, text starting with a formula character gets an apostrophe, NUL
    characters are dropped; numbers stay numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(safe_cell(value)).replace("\x00", "")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The table as UTF-8-with-BOM CSV bytes, cells escaped with ``csv_cell``."""
    return exports_csv_bytes(header, rows, cell=csv_cell)


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
