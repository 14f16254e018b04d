"""Advertising-Law scanning (``catalog.compliance``): matching rules, findings, replacements."""

import datetime

import pytest
from django.db import transaction

from catalog.compliance import (
    CLEAR_WITHIN,
    Term,
    banned_term_delete,
    banned_term_save,
    banned_terms_seed,
    compliance_scan_sku,
    compliance_scan_store,
    find_terms,
    finding_apply_replacement,
    open_findings,
)
from catalog.models import BannedTerm, ComplianceFinding
from catalog.pricing import sku_update
from opsdesk.audit import Actor
from opsdesk.models import AuditEntry, AuditSource
from tests.factories import BannedTermFactory, SkuFactory

TERMS = (
    Term("最", "很", ("最近",)),
    Term("最佳", "优选"),
    Term("第一", "领先", ("第一次",)),
    Term("100%", "高比例"),
    Term("全网最低", "超值"),
    Term("最低", "实惠"),
)
T0 = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC)


def hits(text: str) -> list[tuple[str, int]]:
    return [(hit.term, hit.start) for hit in find_terms(text, TERMS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Full-width digits and ％ normalise (NFKC) to 100%; the position is in the original.
        ("纯棉１００％面料", [("100%", 2)]),
        ("纯棉100%面料", [("100%", 2)]),
        # 最近 is an allowed phrase of 最: not a hit ...
        ("最近上新", []),
        # ... but another 最 in the same text still is (index 2).
        ("最近最火", [("最", 2)]),
        # 第一次 is deliberately allowed for 第一 ("the first time"); 销量第一 is a claim.
        ("第一次购买", []),
        ("销量第一", [("第一", 2)]),
        ("第一次就是第一", [("第一", 5)]),
        # Overlapping terms: leftmost-longest. 最佳 wins over 最 at the same start ...
        ("最佳品质", [("最佳", 0)]),
        # ... and 全网最低 over the 最低 (and 最) inside it.
        ("全网最低价", [("全网最低", 0)]),
        ("最低价", [("最低", 0)]),
        ("", []),
    ],
)
def test_find_terms_rules(text, expected):
    assert hits(text) == expected


def test_find_terms_is_case_insensitive_for_latin_terms():
    terms = [Term("TOP1", "热门")]
    # Full-width ＴＯＰ１ (4 characters) normalises to top1.
    assert [(h.term, h.start, h.end) for h in find_terms("爆款ＴＯＰ１", terms)] == [("TOP1", 2, 6)]


@pytest.mark.django_db
def test_scan_opens_findings_and_closes_them_when_the_text_is_fixed(store, other_store):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    BannedTermFactory(store=other_store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="最佳绿茶", description="口感最佳")
    other = SkuFactory(store=other_store, title="最佳红茶")

    result = compliance_scan_sku(sku=sku, now=T0)

    assert (result.opened, result.closed) == (2, 0)
    assert set(
        ComplianceFinding.objects.filter(resolved_at__isnull=True).values_list(
            "sku_id", "field", "term", "position", "first_seen_at"
        )
    ) == {(sku.pk, "title", "最佳", 0, T0), (sku.pk, "description", "最佳", 2, T0)}
    assert not ComplianceFinding.objects.filter(sku=other).exists()

    # Re-scanning unchanged text changes nothing (idempotent).
    assert compliance_scan_sku(sku=sku, now=T0 + datetime.timedelta(hours=1)).opened == 0
    assert ComplianceFinding.objects.count() == 2

    sku.title = "优选绿茶"
    sku.save()
    later = T0 + datetime.timedelta(hours=2)
    result = compliance_scan_sku(sku=sku, now=later)

    assert (result.opened, result.closed) == (0, 1)
    closed = ComplianceFinding.objects.get(field="title")
    assert closed.resolved_at == later
    assert ComplianceFinding.objects.get(field="description").resolved_at is None


@pytest.mark.django_db
def test_a_moved_term_keeps_its_first_seen_age(store):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="最佳绿茶")
    compliance_scan_sku(sku=sku, now=T0)

    sku.title = "新品 最佳绿茶"  # 最佳 moves from 0 to 3
    sku.save()
    compliance_scan_sku(sku=sku, now=T0 + datetime.timedelta(hours=5))

    open_row = ComplianceFinding.objects.get(resolved_at__isnull=True)
    assert (open_row.position, open_row.first_seen_at) == (3, T0)


@pytest.mark.django_db
def test_rescan_on_list_change_opens_and_closes_findings(
    store, operator, django_capture_on_commit_callbacks
):
    actor = Actor(user=operator, source=AuditSource.WEB)
    sku = SkuFactory(store=store, title="销量第一 最好的茶")
    compliance_scan_store(store=store)
    assert not ComplianceFinding.objects.exists()

    # Adding 第一 re-scans every SKU after commit: one finding opens.
    with django_capture_on_commit_callbacks(execute=True):
        banned_term_save(store=store, actor=actor, term="第一", replacement="领先")
    assert list(
        ComplianceFinding.objects.filter(resolved_at__isnull=True).values_list("term", "position")
    ) == [("第一", 2)]

    # Adding 最好 opens a second one.
    with django_capture_on_commit_callbacks(execute=True):
        banned_term_save(store=store, actor=actor, term="最好", replacement="很好")
    assert ComplianceFinding.objects.filter(resolved_at__isnull=True).count() == 2

    # Removing 第一 closes its finding and leaves 最好 open.
    with django_capture_on_commit_callbacks(execute=True):
        banned_term_delete(term=BannedTerm.objects.get(term="第一"), actor=actor)
    assert list(
        ComplianceFinding.objects.filter(resolved_at__isnull=True).values_list("term", flat=True)
    ) == ["最好"]
    assert ComplianceFinding.objects.get(term="第一").resolved_at is not None
    assert sku.pk == ComplianceFinding.objects.get(term="最好").sku_id
    assert AuditEntry.objects.filter(action__startswith="bannedterm.").count() == 3


@pytest.mark.django_db
def test_sku_update_of_title_scans_on_commit(store, operator, django_capture_on_commit_callbacks):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    sku = SkuFactory(store=store, title="绿茶")

    with django_capture_on_commit_callbacks(execute=True):
        sku_update(sku=sku, actor=Actor(user=operator), title="最佳绿茶")

    assert ComplianceFinding.objects.filter(sku=sku, resolved_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_apply_replacement_rewrites_the_text_closes_the_finding_and_audits(store, operator):
    BannedTermFactory(store=store, term="最佳", replacement="优选")
    BannedTermFactory(store=store, term="第一", replacement="领先")
    sku = SkuFactory(store=store, title="最佳绿茶 最佳口感 销量第一")
    compliance_scan_sku(sku=sku, now=T0)
    finding = ComplianceFinding.objects.filter(term="最佳").first()

    updated = finding_apply_replacement(
        finding=finding, actor=Actor(user=operator, source=AuditSource.WEB)
    )

    # Every 最佳 of the field is replaced; 第一 (another term) is left for its own finding.
    assert updated.title == "优选绿茶 优选口感 销量第一"
    assert list(
        ComplianceFinding.objects.filter(resolved_at__isnull=True).values_list("term", flat=True)
    ) == ["第一"]
    entry = AuditEntry.objects.get(action="sku.compliance_replace")
    assert entry.changes["title"] == ["最佳绿茶 最佳口感 销量第一", "优选绿茶 优选口感 销量第一"]


@pytest.mark.django_db
def test_open_findings_reports_the_oldest_age_against_24_hours(store):
    sku = SkuFactory(store=store)
    now = T0 + datetime.timedelta(hours=30)
    ComplianceFinding.objects.create(
        store=store, sku=sku, field="title", term="最", position=0, first_seen_at=T0
    )
    ComplianceFinding.objects.create(
        store=store,
        sku=sku,
        field="title",
        term="第一",
        position=3,
        first_seen_at=now - datetime.timedelta(hours=2),
    )

    report = open_findings(store=store, now=now)

    assert report.oldest_age == datetime.timedelta(hours=30)
    assert report.oldest_is_overdue and report.overdue == 1
    assert datetime.timedelta(hours=24) == CLEAR_WITHIN


@pytest.mark.django_db
def test_seed_adds_the_handbook_list_once(store, operator, django_capture_on_commit_callbacks):
    actor = Actor(user=operator)
    with django_capture_on_commit_callbacks(execute=True):
        added = banned_terms_seed(store=store, actor=actor)
    assert added == 16
    with transaction.atomic():
        assert banned_terms_seed(store=store, actor=actor) == 0
    assert (
        BannedTerm.objects.get(store=store, term="第一").allowed_phrases == "第一次,第一步,第一天"
    )


@pytest.mark.django_db
def test_nightly_task_scans_every_store_and_is_scheduled(store, other_store):
    from celery.schedules import crontab

    from catalog.tasks import compliance_scan_all_stores, compliance_scan_for_store
    from opsdesk.schedule import BEAT_SCHEDULE

    for each in (store, other_store):
        BannedTermFactory(store=each, term="最佳", replacement="优选")
        SkuFactory(store=each, title="最佳绿茶")

    # Eager in tests: the fan-out runs each store's scan inline.
    assert compliance_scan_all_stores() == 2
    assert ComplianceFinding.objects.filter(resolved_at__isnull=True).count() == 2
    # Re-running changes nothing (idempotent); a store that is gone is skipped.
    assert compliance_scan_all_stores() == 2
    assert ComplianceFinding.objects.count() == 2
    assert compliance_scan_for_store(999_999) == 0

    entry = BEAT_SCHEDULE["catalog-compliance-nightly"]
    assert entry["task"] == "catalog.tasks.compliance_scan_all_stores"
    assert isinstance(entry["schedule"], crontab)


@pytest.mark.django_db
def test_sku_create_scans_on_commit(store, operator, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from catalog.pricing import sku_create

    BannedTermFactory(store=store, term="100%", replacement="高比例")

    with django_capture_on_commit_callbacks(execute=True):
        sku = sku_create(
            store=store,
            actor=Actor(user=operator),
            code="NEW",
            title="１００％纯棉",
            price=Decimal("59.00"),
            cost=Decimal("20.00"),
        )

    assert list(ComplianceFinding.objects.filter(sku=sku).values_list("term", "position")) == [
        ("100%", 0)
    ]


@pytest.mark.django_db
def test_the_seeded_list_on_tricky_text(store, operator, django_capture_on_commit_callbacks):
    # The handbook's list as a store gets it, applied to a title and a description:
    # title  "第一次使用，最近上新，纯棉１００％"  -> 第一次 and 最近 are allowed phrases; the
    #         full-width １００％ (offsets 13..16) is 100%: one finding at 13.
    # descr. "销量第一 全网最低 最佳口感" -> 第一 at 2; 全网最低 at 5 (not 最低 at 7, not 最 at
    #         7: leftmost-longest); 最佳 at 10 (not 最).
    sku = SkuFactory(
        store=store,
        title="第一次使用，最近上新，纯棉１００％",
        description="销量第一 全网最低 最佳口感",
    )
    with django_capture_on_commit_callbacks(execute=True):
        banned_terms_seed(store=store, actor=Actor(user=operator))

    assert sorted(
        ComplianceFinding.objects.filter(sku=sku, resolved_at__isnull=True).values_list(
            "field", "term", "position"
        )
    ) == [
        ("description", "全网最低", 5),
        ("description", "最佳", 10),
        ("description", "第一", 2),
        ("title", "100%", 13),
    ]


@pytest.mark.django_db
def test_the_demo_shop_starts_with_its_findings():
    # The demo writes its SKUs in bulk (not through the services) with banned terms in some
    # titles on purpose; seeding scans them, so the compliance page is not empty on the demo.
    from django.core.management import call_command

    from catalog.compliance import store_terms
    from catalog.models import Sku
    from opsdesk.models import Store

    call_command(
        "seed_demo", stores=1, days=14, end="2025-11-20", orders_per_day=4, no_progress=True
    )

    store = Store.objects.get()
    terms = store_terms(store=store)
    expected = {
        (sku.pk, field, hit.term, hit.start)
        for sku in Sku.objects.filter(store=store)
        for field in ("title", "description")
        for hit in find_terms(getattr(sku, field), terms)
    }
    assert len(expected) >= 3
    assert (
        set(
            ComplianceFinding.objects.filter(store=store, resolved_at__isnull=True).values_list(
                "sku_id", "field", "term", "position"
            )
        )
        == expected
    )
