"""Reading an uploaded file as a table, streamed: a header row, then rows one by one.

CSV: the encoding is detected from the first bytes (UTF-8 BOM, UTF-8, else GBK / GB18030, what
Excel and the Chinese platforms write) unless given; the delimiter is sniffed among
``, ; TAB |``. XLSX: the first sheet, read with openpyxl in read-only mode. A file that is
neither (an image renamed .csv, a PDF...) is refused with a clear message.
"""

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SAMPLE_BYTES = 256 * 1024
DELIMITERS = ",;\t|"
_MAGIC = {
    b"\x89PNG": gettext_lazy("PNG image"),
    b"\xff\xd8\xff": gettext_lazy("JPEG image"),
    b"GIF8": gettext_lazy("GIF image"),
    b"%PDF": gettext_lazy("PDF document"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("old Excel (.xls) or Word document"),
    b"\x1f\x8b": gettext_lazy("gzip archive"),
    b"Rar!": gettext_lazy("RAR archive"),
    b"7z\xbc\xaf": gettext_lazy("7-Zip archive"),
}
ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "utf8-bom": "utf-8-sig",
    "gbk": "gbk",
    "cp936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
}


class FileError(ValueError):
    """The file cannot be read as a table (wrong type, undecodable, empty)."""


@dataclass
class Table:
    """A header and a stream of rows. ``rows`` yields ``(row_number, cells)`` where
    ``row_number`` is the spreadsheet row (the header is row 1)."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""
    fraction_read: Any = field(default=lambda: 0.0)  # () -> 0.0 .. 1.0
    close: Any = field(default=lambda: None)


def normalise_encoding(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    if key not in ENCODING_ALIASES:
        try:
            return codecs.lookup(key).name
        except LookupError:
            raise FileError(_("Unknown encoding %(name)s.") % {"name": name}) from None
    return ENCODING_ALIASES[key]


def detect_encoding(sample: bytes, complete: bool) -> str:
    """utf-8-sig, utf-8, gbk or gb18030 for ``sample`` (the first bytes of the file;
    ``complete`` when it is the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileError(
        _("The file is not UTF-8, GBK or GB18030 text. Save it as CSV (UTF-8) or XLSX.")
    )


def _refuse_binary(head: bytes) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise FileError(_("This file is a %(what)s, not a CSV or XLSX table.") % {"what": what})
    if b"\x00" in head[:4096] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileError(_("This file is not text (it contains binary data): upload CSV or XLSX."))


def open_table(stream: IO[bytes], encoding: str | None = None, name: str = "") -> Table:
    """Open a binary stream (seekable) as a Table; the caller closes ``stream``."""
    head = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    if not head.strip():
        raise FileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(stream)
    _refuse_binary(head)
    complete = len(head) < SAMPLE_BYTES
    chosen = normalise_encoding(encoding) if encoding else detect_encoding(head, complete)
    return _open_csv(stream, chosen, head)


def _size(stream: IO[bytes]) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(position)
        return size


def _open_csv(stream: IO[bytes], encoding: str, head: bytes) -> Table:
    sample = head.decode(encoding, errors="ignore")
    lines = sample.splitlines()
    first = lines[0] if lines else ""
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = max(DELIMITERS, key=first.count) if first else ","
    if first.count(delimiter) == 0 and any(first.count(d) for d in DELIMITERS):
        delimiter = max(DELIMITERS, key=first.count)
    size = max(_size(stream), 1)
    wrapper = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    reader = csv.reader(wrapper, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise FileError(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raise FileError(_bad_encoding(encoding, 1)) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise FileError(_bad_encoding(encoding, number + 1)) from None
            except csv.Error as error:
                raise FileError(
                    _("Row %(row)d cannot be read as CSV: %(error)s")
                    % {"row": number + 1, "error": error}
                ) from None
            number += 1
            if any(cell.strip() for cell in cells):
                yield number, cells

    def fraction() -> float:
        try:
            return min(stream.tell() / size, 1.0)
        except (OSError, ValueError):
            return 0.0

    return Table(
        headers=[h.strip().lstrip("\ufeff") for h in headers],
        rows=rows(),
        encoding=encoding,
        delimiter=delimiter,
        fraction_read=fraction,
        close=wrapper.detach,
    )


def _bad_encoding(encoding: str, row: int) -> str:
    return _(
        "Row %(row)d is not valid %(encoding)s text; choose the file's encoding "
        "(UTF-8, GBK, GB18030) explicitly."
    ) % {"row": row, "encoding": encoding}


def _open_xlsx(stream: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise FileError(
            _("This file is not a readable XLSX workbook (%(error)s).") % {"error": error}
        ) from None
    sheet = workbook.worksheets[0]
    total = sheet.max_row or 0
    iterator = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(iterator)
    except StopIteration:
        workbook.close()
        raise FileError(_("The workbook's first sheet is empty.")) from None
    headers = ["" if c is None else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    state = {"row": 1}

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for cells in iterator:
            state["row"] += 1
            values = list(cells)
            if any(v is not None and str(v).strip() for v in values):
                yield state["row"], values

    return Table(
        headers=headers,
        rows=rows(),
        encoding="xlsx",
        fraction_read=lambda: min(state["row"] / total, 1.0) if total else 0.0,
        close=workbook.close,
    )
