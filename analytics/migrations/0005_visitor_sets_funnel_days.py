"""Visitor-day rows become one packed visitor set per store, day and channel
(analytics.idsets), buyers get packed sets beside their buyer-day rows (BuyerSet), and the
funnel gets its day rows (FunnelDay). The store rows' visitor
counts are unchanged, but range reports read the sets and funnel rows: every rolled-up day is
marked stale so the next re-roll (hourly, or `rollup --all --if-needed`) writes them."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def mark_rolled_up_days_stale(apps, schema_editor):
    DailyStoreMetrics = apps.get_model("analytics", "DailyStoreMetrics")
    StaleDay = apps.get_model("analytics", "StaleDay")
    now = timezone.now()
    rolled = DailyStoreMetrics.objects.values_list("store_id", "day").iterator(chunk_size=5000)
    batch = []
    for store_id, day in rolled:
        batch.append(StaleDay(store_id=store_id, day=day, marked_at=now))
        if len(batch) >= 5000:
            StaleDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    StaleDay.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0004_import_runs'),
        ('opsdesk', '0002_api_tokens_audit'),
    ]

    operations = [
        migrations.CreateModel(
            name='VisitorSet',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('day', models.DateField(verbose_name='day')),
                ('channel', models.CharField(choices=[('search', 'Search'), ('recommendation', 'Recommendation'), ('campaign', 'Campaign'), ('paid_search', 'Paid search'), ('paid_feed', 'Paid feed'), ('content', 'Content'), ('private_domain', 'Private domain'), ('direct', 'Direct'), ('other', 'Other')], max_length=16, verbose_name='channel')),
                ('views', models.PositiveBigIntegerField(default=0, verbose_name='views')),
                ('uv', models.PositiveIntegerField(default=0, verbose_name='UV')),
                ('cart_visitors', models.PositiveIntegerField(default=0, verbose_name='add-to-cart visitors')),
                ('order_visitors', models.PositiveIntegerField(default=0, verbose_name='ordering visitors')),
                ('pay_visitors', models.PositiveIntegerField(default=0, verbose_name='paying visitors')),
                ('visitors', models.BinaryField(null=True, verbose_name='visitors (packed ids)')),
                ('carted', models.BinaryField(null=True, verbose_name='added to cart (packed ids)')),
                ('ordered', models.BinaryField(null=True, verbose_name='ordered (packed ids)')),
                ('paid', models.BinaryField(null=True, verbose_name='paid (packed ids)')),
                ('store', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opsdesk.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'visitor set',
                'verbose_name_plural': 'visitor sets',
            },
        ),
        migrations.DeleteModel(
            name='VisitorDay',
        ),
        migrations.AddConstraint(
            model_name='visitorset',
            constraint=models.UniqueConstraint(fields=('store', 'day', 'channel'), name='visitorset_unit_uniq'),
        ),
        migrations.CreateModel(
            name='FunnelDay',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('day', models.DateField(verbose_name='day')),
                ('window_hours', models.PositiveSmallIntegerField(verbose_name='conversion window (hours)')),
                ('visitors', models.BinaryField(null=True, verbose_name='visitors (packed ids)')),
                ('depths', models.BinaryField(null=True, verbose_name='depth per visitor')),
                ('channels', models.BinaryField(null=True, verbose_name='channel per visitor')),
                ('computed_at', models.DateTimeField(verbose_name='computed at')),
                ('store', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opsdesk.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'funnel day',
                'verbose_name_plural': 'funnel days',
                'constraints': [models.UniqueConstraint(fields=('store', 'day'), name='funnelday_store_day_uniq')],
            },
        ),
        migrations.CreateModel(
            name='BuyerSet',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('day', models.DateField(verbose_name='day')),
                ('channel', models.CharField(choices=[('search', 'Search'), ('recommendation', 'Recommendation'), ('campaign', 'Campaign'), ('paid_search', 'Paid search'), ('paid_feed', 'Paid feed'), ('content', 'Content'), ('private_domain', 'Private domain'), ('direct', 'Direct'), ('other', 'Other')], max_length=16, verbose_name='channel')),
                ('paying_buyers', models.PositiveIntegerField(default=0, verbose_name='paying buyers')),
                ('buyers', models.BinaryField(null=True, verbose_name='buyers (packed ids)')),
                ('orders', models.BinaryField(null=True, verbose_name='paid orders per buyer')),
                ('store', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opsdesk.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'buyer set',
                'verbose_name_plural': 'buyer sets',
                'constraints': [models.UniqueConstraint(fields=('store', 'day', 'channel'), name='buyerset_unit_uniq')],
            },
        ),
        migrations.RunPython(mark_rolled_up_days_stale, migrations.RunPython.noop),
    ]
