"""Advertising-Law compliance of SKU texts (广告法极限词): matching, scanning, replacements.

Matching rules (decided here, tested in ``tests/catalog/test_compliance.py``):

- **Normalisation.** Text and terms are compared after Unicode NFKC and case folding, one
  character at a time, so full-width ``１００％`` matches ``100%`` and ``ＴＯＰ`` matches
  ``top``. Positions are always offsets (0-based, in characters) into the ORIGINAL text, so the
  page can show them and a replacement rewrites exactly the matched characters.
- **Allowed phrases (whitelist).** A hit of a term inside an occurrence of one of that term's
  allowed phrases is not a finding: with 最近 allowed, "最近上新" has no hit of 最 but
  "最近最火" still has one (the second 最). 第一次 is deliberately NOT an absolute claim ("the
  first time", 第一次购买): the default list allows it for 第一, so "第一次使用" is clean while
  "销量第一" is a finding. A store that wants 第一次 flagged removes it from the allowed phrases.
- **Overlapping terms: leftmost-longest.** When terms overlap (最 and 最佳, 最低 and 全网最低),
  the longest term starting at the leftmost position wins and shorter hits inside it are not
  reported: "最佳品质" is one finding (最佳), not two. Replacing 最佳 fixes the text; reporting
  最 as well would double-count and its replacement would garble the already replaced word.
- **Findings.** One open ``ComplianceFinding`` per (SKU, field, term, position). A scan closes
  (``resolved_at``) the open findings the text no longer has and opens the new ones. When an
  edit only moves a term (text inserted before it), the new finding keeps the moved one's
  ``first_seen_at``, so the 24-hour clear-up rule cannot be reset by editing around the word.
"""

import dataclasses
import datetime
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from opsdesk.audit import Actor, audit_as
from opsdesk.models import Store

from .models import BannedTerm, ComplianceFinding, Sku

logger = logging.getLogger(__name__)

#: Findings must be cleared within this long after they are first seen (DOMAIN.md).
CLEAR_WITHIN = datetime.timedelta(hours=24)
SCANNED_FIELDS = ("title", "description")
#: Rows per round trip when the whole catalog of a store is re-scanned.
SCAN_BATCH_SIZE = 500

#: The handbook's list, with neutral replacements and the phrases that are not absolute
#: claims. A store starts from it (``banned_terms_seed``) and edits its own copy.
DEFAULT_TERMS: tuple[tuple[str, str, str], ...] = (
    ("最", "很", "最近,最后,最初,最终"),
    ("最佳", "优选", ""),
    ("最好", "很好", ""),
    ("最低", "实惠", ""),
    ("第一", "领先", "第一次,第一步,第一天"),
    ("唯一", "独特", ""),
    ("首个", "较早", ""),
    ("首选", "推荐", ""),
    ("顶级", "高品质", ""),
    ("国家级", "专业级", ""),
    ("世界级", "国际水准", ""),
    ("极品", "精品", ""),
    ("绝对", "非常", ""),
    ("万能", "多用途", ""),
    ("100%", "高比例", ""),
    ("全网最低", "超值", ""),
)


@dataclasses.dataclass(frozen=True)
class Term:
    """A banned term as the matcher uses it."""

    term: str
    replacement: str = ""
    allowed_phrases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Hit:
    """One finding in one text: ``start``/``end`` are offsets into the original text."""

    term: str
    start: int
    end: int
    replacement: str


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` after NFKC + case folding, and for each normalised character the offset of the
    original character it came from (one original character may become several)."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).casefold()
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


def _key(text: str) -> str:
    return normalise(text)[0]


def _occurrences(haystack: str, needle: str) -> list[int]:
    """Start offsets of every (possibly overlapping) occurrence of ``needle``."""
    starts = []
    if not needle:
        return starts
    position = haystack.find(needle)
    while position != -1:
        starts.append(position)
        position = haystack.find(needle, position + 1)
    return starts


def find_terms(text: str, terms: Sequence[Term]) -> list[Hit]:
    """The banned terms in ``text`` under the module's rules, ordered by position."""
    if not text:
        return []
    normal, origin = normalise(text)
    candidates: list[tuple[int, int, Term]] = []  # normalised start, end, term
    for term in terms:
        needle = _key(term.term)
        if not needle:
            continue
        allowed_spans = [
            (start, start + len(phrase))
            for phrase in (_key(p) for p in term.allowed_phrases)
            if phrase
            for start in _occurrences(normal, phrase)
        ]
        for start in _occurrences(normal, needle):
            end = start + len(needle)
            if any(a <= start and end <= b for a, b in allowed_spans):
                continue
            candidates.append((start, end, term))
    # Leftmost-longest, non-overlapping.
    candidates.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    hits: list[Hit] = []
    taken_until = -1
    for start, end, term in candidates:
        if start < taken_until:
            continue
        taken_until = end
        original_start = origin[start]
        original_end = origin[end - 1] + 1
        hits.append(Hit(term.term, original_start, original_end, term.replacement))
    return hits


def store_terms(*, store: Store) -> list[Term]:
    """The store's banned terms for the matcher (one query)."""
    return [
        Term(
            term=row.term,
            replacement=row.replacement,
            allowed_phrases=tuple(
                part.strip()
                for part in row.allowed_phrases.replace("，", ",").split(",")
                if part.strip()
            ),
        )
        for row in BannedTerm.objects.filter(store=store).order_by("term")
    ]


@dataclasses.dataclass(frozen=True)
class ScanResult:
    skus: int
    opened: int
    closed: int


def _sync_findings(
    *,
    store: Store,
    skus: Iterable[Sku],
    terms: Sequence[Term],
    now: datetime.datetime,
) -> ScanResult:
    """Open/close findings of ``skus`` so they match their texts; 2 queries + bulk writes."""
    skus = list(skus)
    if not skus:
        return ScanResult(0, 0, 0)
    open_rows = list(
        ComplianceFinding.objects.filter(
            store=store, sku__in=[sku.pk for sku in skus], resolved_at__isnull=True
        ).order_by("position", "pk")
    )
    open_by_key = {(f.sku_id, f.field, f.term, f.position): f for f in open_rows}
    wanted: dict[tuple[int, str, str, int], None] = {}
    for sku in skus:
        for field in SCANNED_FIELDS:
            for hit in find_terms(getattr(sku, field) or "", terms):
                wanted[(sku.pk, field, hit.term, hit.start)] = None
    to_close = [f for key, f in open_by_key.items() if key not in wanted]
    to_open = [key for key in wanted if key not in open_by_key]
    # A term that only moved keeps the age of the finding it replaces (paired in order).
    inherited: dict[tuple[int, str, str], list[datetime.datetime]] = defaultdict(list)
    for finding in to_close:
        inherited[(finding.sku_id, finding.field, finding.term)].append(finding.first_seen_at)
    new_rows = []
    for sku_id, field, term, position in to_open:
        ages = inherited.get((sku_id, field, term))
        first_seen = ages.pop(0) if ages else now
        new_rows.append(
            ComplianceFinding(
                store=store,
                sku_id=sku_id,
                field=field,
                term=term,
                position=position,
                first_seen_at=first_seen,
            )
        )
    with transaction.atomic():
        if to_close:
            ComplianceFinding.objects.filter(pk__in=[f.pk for f in to_close]).update(
                resolved_at=now
            )
        if new_rows:
            ComplianceFinding.objects.bulk_create(new_rows)
    return ScanResult(len(skus), len(new_rows), len(to_close))


def compliance_scan_sku(*, sku: Sku, now: datetime.datetime | None = None) -> ScanResult:
    """Scan one SKU's title and description against its store's list (on save).

    Contract: afterwards the SKU's open findings are exactly the hits of its current texts;
    findings of other SKUs are untouched. Idempotent.
    """
    store = sku.store
    return _sync_findings(
        store=store, skus=[sku], terms=store_terms(store=store), now=now or timezone.now()
    )


def compliance_scan_store(*, store: Store, now: datetime.datetime | None = None) -> ScanResult:
    """Re-scan every SKU of ``store`` (nightly, and after the term list changed).

    Delisted SKUs are scanned too: their texts stay on the platform's snapshot pages and may
    be relisted. Reads in batches of ``SCAN_BATCH_SIZE``; idempotent.
    """
    now = now or timezone.now()
    terms = store_terms(store=store)
    total = ScanResult(0, 0, 0)
    batch: list[Sku] = []
    skus = (
        Sku.objects.filter(store=store)
        .only("pk", "store_id", "title", "description")
        .order_by("pk")
    )
    for sku in skus.iterator(chunk_size=SCAN_BATCH_SIZE):
        batch.append(sku)
        if len(batch) == SCAN_BATCH_SIZE:
            total = _add(total, _sync_findings(store=store, skus=batch, terms=terms, now=now))
            batch = []
    total = _add(total, _sync_findings(store=store, skus=batch, terms=terms, now=now))
    logger.info(
        "compliance_scanned store_id=%s skus=%s opened=%s closed=%s",
        store.pk,
        total.skus,
        total.opened,
        total.closed,
    )
    return total


def _add(left: ScanResult, right: ScanResult) -> ScanResult:
    return ScanResult(
        left.skus + right.skus, left.opened + right.opened, left.closed + right.closed
    )


def replace_terms(text: str, terms: Sequence[Term], *, only: str | None = None) -> str:
    """``text`` with every hit (or every hit of term ``only``) replaced by its replacement.

    Hits without a replacement are left as they are."""
    hits = [
        hit
        for hit in find_terms(text, terms)
        if hit.replacement and (only is None or hit.term == only)
    ]
    for hit in reversed(hits):
        text = text[: hit.start] + hit.replacement + text[hit.end :]
    return text


class NoReplacementError(ValueError):
    """The finding's term has no replacement (or is no longer on the list)."""


def finding_apply_replacement(
    *, finding: ComplianceFinding, actor: Actor, now: datetime.datetime | None = None
) -> Sku:
    """Rewrite the finding's field of its SKU, replacing every hit of the finding's term with
    the term's neutral replacement, re-scan the SKU (closing the finding) and audit the edit
    (``sku.compliance_replace`` with the old and new text).

    Raises ``NoReplacementError`` when the term has no replacement any more. A finding already
    resolved changes nothing and returns the SKU.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sku = Sku.objects.select_for_update().select_related("store").get(pk=finding.sku_id)
        store = sku.store
        if finding.resolved_at is not None:
            return sku
        terms = store_terms(store=store)
        term = next((t for t in terms if t.term == finding.term), None)
        if term is None or not term.replacement:
            raise NoReplacementError(finding.term)
        old = getattr(sku, finding.field) or ""
        new = replace_terms(old, terms, only=finding.term)
        if new != old:
            setattr(sku, finding.field, new)
            sku.save(update_fields=[finding.field, "updated_at"])
            audit_as(
                actor,
                store=store,
                action="sku.compliance_replace",
                obj=sku,
                changes={
                    finding.field: [old, new],
                    "term": finding.term,
                    "replacement": term.replacement,
                },
            )
        _sync_findings(store=store, skus=[sku], terms=terms, now=now)
    return sku


def _enqueue_store_rescan(store_id: int) -> None:
    from .tasks import compliance_scan_for_store

    compliance_scan_for_store.delay(store_id)


def banned_term_save(
    *,
    store: Store,
    actor: Actor,
    term: str,
    replacement: str = "",
    allowed_phrases: str = "",
) -> BannedTerm:
    """Add a term to the store's list, or update the replacement / allowed phrases of an
    existing one, audit it, and re-scan every SKU of the store after commit."""
    term = term.strip()
    if not term:
        raise ValueError("empty term")
    with transaction.atomic():
        row, created = BannedTerm.objects.select_for_update().get_or_create(
            store=store,
            term=term,
            defaults={"replacement": replacement, "allowed_phrases": allowed_phrases},
        )
        if not created:
            row.replacement = replacement
            row.allowed_phrases = allowed_phrases
            row.save(update_fields=["replacement", "allowed_phrases"])
        audit_as(
            actor,
            store=store,
            action="bannedterm.create" if created else "bannedterm.update",
            obj=row,
            changes={
                "term": term,
                "replacement": replacement,
                "allowed_phrases": allowed_phrases,
            },
        )
        transaction.on_commit(lambda: _enqueue_store_rescan(store.pk))
    return row


def banned_term_delete(*, term: BannedTerm, actor: Actor) -> None:
    """Remove a term from its store's list, audit it, and re-scan the store after commit
    (which closes the findings of that term)."""
    store = term.store
    with transaction.atomic():
        audit_as(
            actor,
            store=store,
            action="bannedterm.delete",
            obj=term,
            changes={"term": term.term},
        )
        term.delete()
        transaction.on_commit(lambda: _enqueue_store_rescan(store.pk))


def banned_terms_seed(*, store: Store, actor: Actor) -> int:
    """Add the handbook's default terms the store does not have yet; returns how many were
    added (0 on a second call: idempotent). Re-scans the store after commit when anything was
    added and the store has SKUs to scan (a new store has none: ``store_create`` seeds it)."""
    with transaction.atomic():
        existing = set(BannedTerm.objects.filter(store=store).values_list("term", flat=True))
        rows = [
            BannedTerm(store=store, term=term, replacement=replacement, allowed_phrases=allowed)
            for term, replacement, allowed in DEFAULT_TERMS
            if term not in existing
        ]
        BannedTerm.objects.bulk_create(rows)
        if rows:
            audit_as(
                actor,
                store=store,
                action="bannedterm.seed",
                object_type="catalog.bannedterm",
                changes={"added": [row.term for row in rows]},
            )
            if Sku.objects.filter(store=store).exists():
                transaction.on_commit(lambda: _enqueue_store_rescan(store.pk))
    return len(rows)


@dataclasses.dataclass(frozen=True)
class OpenFindings:
    """Open findings of a store with the age of the oldest against the 24-hour rule."""

    findings: tuple[ComplianceFinding, ...]
    oldest_age: datetime.timedelta | None
    overdue: int  # open longer than ``CLEAR_WITHIN``

    @property
    def oldest_hours(self) -> float | None:
        return None if self.oldest_age is None else self.oldest_age.total_seconds() / 3600

    @property
    def oldest_is_overdue(self) -> bool:
        return self.oldest_age is not None and self.oldest_age > CLEAR_WITHIN


@dataclasses.dataclass(frozen=True)
class OpenFindingsSummary:
    """How many findings of a store are open, how many are past the 24-hour rule, and the
    age of the oldest: what the overview shows (one aggregate query, no rows loaded)."""

    count: int
    overdue: int
    oldest_age: datetime.timedelta | None

    @property
    def oldest_hours(self) -> float | None:
        return None if self.oldest_age is None else self.oldest_age.total_seconds() / 3600


def open_findings_summary(
    *, store: Store, now: datetime.datetime | None = None
) -> OpenFindingsSummary:
    """The store's open findings counted in the database (``open_findings`` loads them)."""
    now = now or timezone.now()
    totals = ComplianceFinding.objects.filter(store=store, resolved_at__isnull=True).aggregate(
        count=Count("pk"),
        overdue=Count("pk", filter=Q(first_seen_at__lt=now - CLEAR_WITHIN)),
        oldest=Min("first_seen_at"),
    )
    oldest = totals["oldest"]
    return OpenFindingsSummary(
        count=totals["count"],
        overdue=totals["overdue"],
        oldest_age=now - oldest if oldest is not None else None,
    )


def open_findings(*, store: Store, now: datetime.datetime | None = None) -> OpenFindings:
    """The store's open findings, oldest first, with their SKU loaded (one query)."""
    now = now or timezone.now()
    rows = tuple(
        ComplianceFinding.objects.filter(store=store, resolved_at__isnull=True)
        .select_related("sku")
        .order_by("first_seen_at", "pk")
    )
    oldest = now - rows[0].first_seen_at if rows else None
    overdue = sum(1 for row in rows if now - row.first_seen_at > CLEAR_WITHIN)
    return OpenFindings(rows, oldest, overdue)
