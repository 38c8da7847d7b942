"""Runs stored before the breakdown by cohort had its own rows: their cohorts move out of
``details`` into ``RunCohortRow``, and what readers outside the organisation see is
worked out once and stored (``evaluation.stored.split``)."""

from django.conf import settings
from django.db import migrations


def split_stored_runs(apps, schema_editor):
    from evaluation.stored import save_rows, split

    run_model = apps.get_model('evaluation', 'EvaluationRun')
    row_model = apps.get_model('evaluation', 'RunCohortRow')
    waiting = run_model.objects.filter(status='done', external_objects__isnull=True)
    for pk in list(waiting.values_list('pk', flat=True)):  # one run in memory at a time
        run = run_model.objects.get(pk=pk)
        details = run.details or (run.result or {}).get('details') or {}
        min_cell = (run.parameters or {}).get('min_cell', settings.MIN_CELL)
        parts = split(run.result, details, min_cell=min_cell)
        save_rows(pk, parts, row_model=row_model)
        run_model.objects.filter(pk=pk).update(**parts.run_fields())


def join_stored_runs(apps, schema_editor):
    """Back to the earlier layout: the organisation's cohorts inside ``details``."""
    run_model = apps.get_model('evaluation', 'EvaluationRun')
    row_model = apps.get_model('evaluation', 'RunCohortRow')
    split_runs = run_model.objects.filter(external_objects__isnull=False)
    for pk in list(split_runs.values_list('pk', flat=True)):
        run = run_model.objects.get(pk=pk)
        rows = row_model.objects.filter(run_id=pk, audience='internal').order_by('position')
        details = {'by_cohort': list(rows.values_list('data', flat=True)), **(run.details or {})}
        run_model.objects.filter(pk=pk).update(
            details=details, external_objects=None, external_details=None
        )
        row_model.objects.filter(run_id=pk).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('evaluation', '0002_run_cohort_rows'),
    ]

    operations = [
        migrations.RunPython(split_stored_runs, join_stored_runs),
    ]
