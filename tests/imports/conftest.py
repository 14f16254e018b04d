import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from analytics.imports.services import create_run, import_run
from opsdesk.audit import Actor
from opsdesk.models import AuditSource


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, settings):
    settings.OPSDESK_IMPORT_DIR = tmp_path / "imports"


@pytest.fixture(autouse=True)
def _english():
    """Services called directly report in the active language (the default is Chinese): the
    tests read the English msgids. Page tests compare with the page's language themselves."""
    with translation.override("en"):
        yield


def xlsx_bytes(text: str, delimiter: str = ",") -> bytes:
    """The CSV ``text`` as an XLSX workbook (cells as text)."""
    import csv

    workbook = Workbook()
    sheet = workbook.active
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Import ``content`` (bytes) as ``kind`` into ``store``; on-commit callbacks (the
    re-roll) run. ``price_confirmation`` / ``confirm_price_cuts`` go to ``import_run``."""

    def run(
        store,
        kind,
        content: bytes,
        *,
        preset=None,
        dry_run=False,
        name="file.csv",
        price_confirmation=None,
        confirm_price_cuts=False,
        **kw,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            created = create_run(
                store=store,
                kind=kind,
                source=io.BytesIO(content),
                file_name=name,
                preset=preset,
                dry_run=dry_run,
                **kw,
            )
            return import_run(
                created,
                actor=Actor(user=None, source=AuditSource.TASK),
                price_confirmation=price_confirmation,
                confirm_price_cuts=confirm_price_cuts,
            )

    return run
