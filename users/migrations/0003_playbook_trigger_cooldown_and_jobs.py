"""Cool-down per trigger (not per playbook): each contact records its trigger key; runs
"run now" through a Celery job whose status the page shows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _trigger_key(playbook) -> str:
    # A frozen copy of users.playbooks.trigger_key as of this migration.
    kind = playbook.trigger
    if kind == "entered_tier":
        return f"entered_tier:{playbook.tier}"
    if kind == "rfm_segment":
        return f"rfm_segment:{playbook.segment}"
    if kind == "abandoned_cart":
        return f"abandoned_cart:{playbook.cart_hours}h"
    if kind == "churn_risk":
        return f"churn_risk:{playbook.churn_threshold.normalize():f}"
    if kind == "member_day":
        return f"member_day:{playbook.member_day}"
    return kind


def fill_trigger_keys(apps, schema_editor):
    Playbook = apps.get_model("users", "Playbook")
    PlaybookContact = apps.get_model("users", "PlaybookContact")
    for playbook in Playbook.objects.all():
        PlaybookContact.objects.filter(playbook=playbook).update(trigger_key=_trigger_key(playbook))


class Migration(migrations.Migration):

    dependencies = [
        ('opsdesk', '0002_api_tokens_audit'),
        ('users', '0002_predictions_and_playbooks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlaybookJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day')),
                ('requested_at', models.DateTimeField(verbose_name='requested at')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('delivering', 'Delivering the webhook'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='delivery attempts')),
                ('error', models.TextField(blank=True, verbose_name='error')),
            ],
            options={
                'verbose_name': 'playbook job',
                'verbose_name_plural': 'playbook jobs',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.RemoveIndex(
            model_name='playbookcontact',
            name='playbookcontact_cooldown_idx',
        ),
        migrations.AddField(
            model_name='playbookcontact',
            name='trigger_key',
            field=models.CharField(default='', help_text='The trigger and its parameters at the time of the run (the cool-down key).', max_length=64, verbose_name='trigger'),
            preserve_default=False,
        ),
        migrations.RunPython(fill_trigger_keys, migrations.RunPython.noop),
        migrations.AddField(
            model_name='playbookrun',
            name='cooled_down_customers',
            field=models.JSONField(blank=True, default=list, help_text='Ids of the triggered customers the cool-down skipped, ascending.', verbose_name='customers skipped by cool-down'),
        ),
        migrations.AddIndex(
            model_name='playbookcontact',
            index=models.Index(fields=['store', 'trigger_key', 'customer', 'day'], name='playbookcontact_cooldown_idx'),
        ),
        migrations.AddField(
            model_name='playbookjob',
            name='playbook',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='users.playbook', verbose_name='playbook'),
        ),
        migrations.AddField(
            model_name='playbookjob',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by'),
        ),
        migrations.AddField(
            model_name='playbookjob',
            name='run',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='users.playbookrun', verbose_name='run'),
        ),
        migrations.AddField(
            model_name='playbookjob',
            name='store',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opsdesk.store', verbose_name='store'),
        ),
        migrations.AddIndex(
            model_name='playbookjob',
            index=models.Index(fields=['playbook', '-requested_at'], name='playbookjob_latest_idx'),
        ),
        migrations.AddConstraint(
            model_name='playbookjob',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'running', 'delivering', 'done', 'failed'])), name='playbookjob_status_valid'),
        ),
    ]
