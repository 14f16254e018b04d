"""The Simplified Chinese catalog is complete, compiled, and current with the source.

Chinese operators are the main users, so a string that is not in ``locale/zh_Hans`` shows up
in English in their UI. These tests read the .po with a tiny parser (no extra dependency).
"""

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
ZH_PO = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
MAKEMESSAGES_IGNORE = (".venv", "var", "staticfiles")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}


@dataclasses.dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = dataclasses.field(default_factory=list)
    flags: set[str] = dataclasses.field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"{path}:{number}: expected a quoted string, got {text!r}")
    body, out, index = text[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(_ESCAPES.get(body[index + 1], body[index + 1]))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def parse_po(path: Path) -> list[PoEntry]:
    """Entries of a .po file, header included, obsolete (``#~``) entries skipped."""
    entries: list[PoEntry] = []
    entry, field = PoEntry(), None

    def finish() -> None:
        nonlocal entry, field
        if field is not None:
            entries.append(entry)
        entry, field = PoEntry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            continue
        # A comment or a new msgctxt/msgid after a msgstr starts the next entry.
        starts_entry = line.startswith(("#", "msgctxt ", "msgid "))
        if not line or (starts_entry and field is not None and field.startswith("msgstr")):
            finish()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith('"'):
            if field is None:
                raise ValueError(f"{path}:{number}: a string continues no keyword")
            value = _unquote(line, path, number)
        else:
            field, _, rest = line.partition(" ")
            value = _unquote(rest, path, number)
            if field == "msgid":
                entry.line = number
            elif field == "msgctxt":
                entry.msgctxt = ""
            elif field == "msgid_plural":
                entry.msgid_plural = ""
            elif field == "msgstr" or field.startswith("msgstr["):
                entry.msgstr.append("")
            else:
                raise ValueError(f"{path}:{number}: unknown keyword in {raw!r}")
        if field == "msgid":
            entry.msgid += value
        elif field == "msgctxt":
            entry.msgctxt += value
        elif field == "msgid_plural":
            entry.msgid_plural += value
        else:
            entry.msgstr[-1] += value
    finish()
    return entries


def _catalog_entries() -> list[PoEntry]:
    return [entry for entry in parse_po(ZH_PO) if not entry.is_header]


def test_the_parser_reads_plural_context_and_continued_entries(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgid ""\n"Hello "\n"%(name)s"\nmsgstr "你好 %(name)s"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr "五月"\n\n'
        'msgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] "共 %(n)s 条"\n\n'
        '#~ msgid "Old"\n#~ msgstr "旧"\n',
        encoding="utf-8",
    )
    header, hello, may, rows = parse_po(po)
    assert header.is_header
    assert header.msgstr == ["Language: zh_Hans\n"]
    assert (hello.msgid, hello.msgstr, hello.flags) == (
        "Hello %(name)s",
        ["你好 %(name)s"],
        {"fuzzy", "python-format"},
    )
    assert (may.msgctxt, may.msgid, may.msgstr) == ("month", "May", ["五月"])
    assert (rows.msgid, rows.msgid_plural) == ("%(n)s row", "%(n)s rows")
    assert rows.msgstr == ["共 %(n)s 条"]


def test_zh_hans_catalog_has_no_untranslated_or_fuzzy_entry():
    entries = parse_po(ZH_PO)
    assert len(entries) > 100
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    untranslated = [
        f"line {e.line}: {e.msgid!r}"
        for e in entries
        if not e.is_header and (not e.msgstr or any(not text for text in e.msgstr))
    ]
    assert fuzzy == []
    assert untranslated == []


def test_zh_hans_mo_is_compiled_from_the_current_po():
    # gettext reads the .mo: each entry must come back exactly as the .po says
    assert ZH_MO.is_file()
    mismatches = []
    with translation.override("zh-hans"):
        for entry in _catalog_entries():
            if entry.msgid_plural is not None:
                got = translation.ngettext(entry.msgid, entry.msgid_plural, 1)
            elif entry.msgctxt is not None:
                got = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                got = translation.gettext(entry.msgid)
            if got != entry.msgstr[0]:
                mismatches.append((entry.msgid, entry.msgstr[0], got))
    assert mismatches == []


def test_navigation_labels_use_the_handbook_terms():
    with translation.override("zh-hans"):
        labels = [
            translation.gettext(label)
            for label in ("Overview", "Catalog", "Customers", "Campaigns", "Reports", "GMV")
        ]
    assert labels == ["经营概况", "商品", "用户", "活动", "报表", "支付金额"]


@pytest.fixture(scope="module")
def fresh_catalog(tmp_path_factory) -> list[PoEntry]:
    """The zh_Hans catalog as makemessages would write it now, from a copy of the tree."""
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (GNU gettext) is not installed, so makemessages cannot run")
    copy = tmp_path_factory.mktemp("i18n") / "project"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            *MAKEMESSAGES_IGNORE,
            ".git",
            "__pycache__",
            "*.pyc",
            ".pytest_cache",
            ".ruff_cache",
            ".hypothesis",
            "screenshots",
            "node_modules",
            "*.sqlite3*",
        ),
    )
    ignores = [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORE]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", *ignores],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [e for e in parse_po(copy / ZH_PO.relative_to(BASE_DIR)) if not e.is_header]


def test_makemessages_finds_no_string_missing_from_the_zh_hans_catalog(fresh_catalog):
    known = {entry.key for entry in _catalog_entries()}
    new = sorted(
        f"{entry.msgid!r} ({entry.msgctxt})" if entry.msgctxt else repr(entry.msgid)
        for entry in fresh_catalog
        if entry.key not in known
    )
    assert new == [], (
        "Run `manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv "
        "--ignore=var --ignore=staticfiles`, translate, then `compilemessages`."
    )


def test_zh_hans_catalog_has_no_string_the_source_no_longer_uses(fresh_catalog):
    current = {entry.key for entry in fresh_catalog}
    stale = sorted(repr(entry.msgid) for entry in _catalog_entries() if entry.key not in current)
    assert stale == []
