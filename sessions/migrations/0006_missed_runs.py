import django.db.models.deletion
from django.db import migrations, models


def count_current_runs(apps, schema_editor):
    """Count the runs of every cohort that is not over (sessions/outreach.py)."""
    from programs.models import Cohort as LiveCohort
    from sessions.outreach import recount

    cohort = apps.get_model('programs', 'Cohort')
    recount(
        cohort.objects.filter(status__in=LiveCohort.CURRENT).values_list('pk', flat=True),
        cohort_model=cohort,
        enrollment_model=apps.get_model('participants', 'Enrollment'),
        session_model=apps.get_model('groupsessions', 'Session'),
        attendance_model=apps.get_model('groupsessions', 'Attendance'),
        missed_model=apps.get_model('groupsessions', 'MissedRun'),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('groupsessions', '0005_attendance_fewer_indexes'),
        ('participants', '0005_dashboard_partial_indexes'),
        ('programs', '0004_dashboard_current_cohorts_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='MissedRun',
            fields=[
                ('enrollment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='missed_run', serialize=False, to='participants.enrollment')),
                ('missed', models.PositiveIntegerField()),
            ],
            options={
                'verbose_name': 'run of missed sessions',
                'verbose_name_plural': 'runs of missed sessions',
                'indexes': [models.Index(fields=['missed'], name='missed_run_missed_idx')],
            },
        ),
        migrations.RunPython(count_current_runs, migrations.RunPython.noop),
    ]
