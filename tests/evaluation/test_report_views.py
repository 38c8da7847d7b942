"""Report pages: the table, suppression, summary, charts, runs and the broker-down path."""

from unittest import mock

import pytest
from django.urls import reverse

from evaluation import runs
from evaluation.models import EvaluationRun
from evaluation.presenting import summary
from tests.evaluation.figures_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, settings):
    settings.MIN_CELL = 3
    return build(org)


def report_url(world, **query):
    url = reverse("evaluation:report", args=[world.program.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_evaluator_lands_on_the_list_of_their_organisations_programs(world, evaluator, client):
    client.force_login(evaluator)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("evaluation:home")
    page = client.get(reverse("evaluation:home")).content.decode()
    assert "EVAL" in page and "OTHER" in page


def test_requesting_all_years_shows_the_year_by_year_table(world, coordinator, client):
    client.force_login(coordinator)
    response = client.post(
        reverse("evaluation:run_request", args=[world.program.pk]), {"period": "all"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Year 1" in page and "Year 2" in page
    assert "n&lt;3" in page  # Year 2's suppressed statistics
    assert "5 participants took part in Year 1" in page
    assert "attending 1.3 (47%) of 2.8 sessions on average" in page
    assert "60% met the Self-efficacy target at post-test against a target of 75%" in page
    assert "mean Self-efficacy rose from 7.8 to 11.6" in page
    assert page.count("<svg") == 3  # attendance, % meeting target, pre vs post
    assert "chart-target" in page  # the program's 75% target line


def test_evaluators_see_the_report_as_outside_audiences_do(world, evaluator, client):
    client.force_login(evaluator)
    response = client.post(
        reverse("evaluation:run_request", args=[world.program.pk]), {"period": "all"}
    )
    page = client.get(response.url).content.decode()
    # Year 2 is small; Year 1 would give it away (all years minus Year 1), so both are
    # hidden, in the table and the summary sentences alike.
    assert "5 participants took part in Year 1" not in page
    assert "1.3 (47%)" not in page
    rows = client.get(response.url).context["participation_rows"]
    hidden = [row["cells"][0]["suppressed"] for row in rows]
    assert hidden[:2] == [True, True]  # Year 1, Year 2
    assert hidden[-1] is False  # all years (the later years have nobody: zeros are shown)
    # evaluators never see names
    assert "Person" not in page
    # Year 1 is not itself small: the legend says the mark also stands for such a value.
    assert "also marks a value hidden because it would give a small number away" in page


def test_only_the_outside_readers_legend_says_the_mark_hides_a_giveaway(
    world, coordinator, evaluator, client
):
    client.force_login(coordinator)
    url = reverse("evaluation:run_request", args=[world.program.pk])
    own = client.get(client.post(url, {"period": "all"}).url).content.decode()
    assert "would give a small number away" not in own
    evaluator.language = "fr"
    evaluator.save(update_fields=["language"])
    client.force_login(evaluator)
    french = client.get(client.post(url, {"period": "all"}).url).content.decode()
    assert "permettrait de retrouver un petit nombre par soustraction" in french


def test_broker_down_says_so_and_offers_to_compute_now(world, coordinator, client):
    client.force_login(coordinator)
    with mock.patch("evaluation.runs.enqueue", return_value=None):
        response = client.post(
            reverse("evaluation:run_request", args=[world.program.pk]),
            {"period": "year", "year": "1"},
            follow=True,
        )
    page = response.content.decode()
    assert "cannot be reached" in page
    assert "Compute now" in page
    run = EvaluationRun.objects.get()
    assert run.status == "queued"
    response = client.post(reverse("evaluation:run_now", args=[run.pk]), follow=True)
    assert "The figures are computed." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "done"
    assert "6 participants took part" not in response.content.decode()
    assert "5 participants took part in Year 1" in response.content.decode()


def test_progress_is_polled_while_running_and_the_page_reloads_when_done(world, evaluator, client):
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        run = runs.request_run(program=world.program, period="all").run
    EvaluationRun.objects.filter(pk=run.pk).update(status="running", progress=50)
    client.force_login(evaluator)
    page = client.get(report_url(world, period="all")).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="50"' in page
    status_url = reverse("evaluation:run_status", args=[run.pk])
    assert 'value="50"' in client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    runs.execute(run_id=run.pk)
    response = client.get(status_url, HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_bad_period_input_is_a_form_error_not_a_500(world, coordinator, client):
    client.force_login(coordinator)
    url = reverse("evaluation:run_request", args=[world.program.pk])
    response = client.post(url, {"period": "year", "year": "0"})
    assert response.status_code == 400
    response = client.post(
        url, {"period": "range", "date_from": "2021-05-01", "date_to": "2021-01-01"}
    )
    assert response.status_code == 400
    assert "The last date is before the first." in response.content.decode()
    assert client.get(report_url(world, period="year", year="abc")).status_code == 200
    assert not EvaluationRun.objects.exists()


def test_facilitators_get_403_and_other_organisations_404(world, facilitator, outsider, client):
    client.force_login(facilitator)
    assert client.get(report_url(world)).status_code == 403
    assert client.get(reverse("evaluation:home")).status_code == 403
    client.force_login(outsider)
    assert client.get(report_url(world)).status_code == 404


def test_report_page_queries_do_not_grow_with_the_result(
    world, evaluator, client, django_assert_max_num_queries
):
    runs.request_run(program=world.program, period="all")
    client.force_login(evaluator)
    # session, user, memberships; program; active run; latest done run; instrument names;
    # program years (last cohort); the by-cohort table's count and page of rows
    # (tests/evaluation/test_stored_runs.py); audit-free page (plus savepoints of the
    # session save)
    with django_assert_max_num_queries(13):
        assert client.get(report_url(world, period="all")).status_code == 200


def test_summary_leaves_out_suppressed_figures():
    obj = {
        "year": 2,
        "participants": 2,
        "sessions_attended_mean": None,
        "sessions_offered_mean": None,
        "attendance_rate": None,
        "instruments": {
            "GSE": {
                "post_meeting_target_pct": None,
                "target_pct": 75.0,
                "pre_mean": None,
                "post_mean": None,
            }
        },
    }
    assert summary(obj, {"GSE": "Self-efficacy"}) == "2 participants took part in Year 2."


def test_summary_reads_like_the_published_evaluation():
    obj = {
        "year": 5,
        "participants": 61,
        "sessions_attended_mean": 16.4,
        "sessions_offered_mean": 20.0,
        "attendance_rate": 0.82,
        "instruments": {
            "GSE": {
                "post_meeting_target_pct": 82.0,
                "target_pct": 75.0,
                "pre_mean": None,
                "post_mean": None,
            },
            "WB": {
                "post_meeting_target_pct": None,
                "target_pct": None,
                "pre_mean": 24.1,
                "post_mean": 30.2,
            },
        },
    }
    assert summary(obj, {"GSE": "self-efficacy", "WB": "wellbeing"}) == (
        "61 participants took part in Year 5, attending 16.4 (82%) of 20 sessions on average; "
        "82% met the self-efficacy target at post-test against a target of 75%; "
        "mean wellbeing rose from 24.1 to 30.2."
    )


def test_a_run_whose_worker_died_is_offered_to_compute_now_after_minutes(
    world, evaluator, client, settings
):
    """A worker killed mid-run leaves it "running": after EVALUATION_RUN_STALE_MINUTES
    (minutes, not the hour the broker may take to deliver it again) the page offers to
    compute it here."""
    from datetime import timedelta

    from django.utils import timezone

    settings.EVALUATION_RUN_STALE_MINUTES = 15
    with mock.patch("evaluation.runs.enqueue", return_value="t"):
        run = runs.request_run(program=world.program, period="all").run
    started = timezone.now() - timedelta(minutes=14)
    EvaluationRun.objects.filter(pk=run.pk).update(
        status="running", progress=50, started_at=started
    )
    client.force_login(evaluator)
    status_url = reverse("evaluation:run_status", args=[run.pk])
    assert "Compute now" not in client.get(status_url, HTTP_HX_REQUEST="true").content.decode()

    EvaluationRun.objects.filter(pk=run.pk).update(started_at=started - timedelta(minutes=2))
    page = client.get(report_url(world, period="all")).content.decode()
    assert "may have stopped" in page and "Compute now" in page
    response = client.post(reverse("evaluation:run_now", args=[run.pk]), follow=True)
    assert "The figures are computed." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "done"


def _cohort_labels(page: str) -> list[str]:
    section = page.split('id="by-cohort"', 1)[1].split("</section>", 1)[0]
    return [code for code in ("C1", "C2", "C3") if f'<th scope="row">{code}' in section]


def test_the_by_cohort_table_is_paged_and_the_page_keeps_the_period(
    world, coordinator, client, monkeypatch
):
    from evaluation import presenting

    monkeypatch.setattr(presenting, "COHORT_ROWS", 2)
    runs.request_run(program=world.program, period="all")
    client.force_login(coordinator)
    first = client.get(report_url(world, period="all")).content.decode()
    assert _cohort_labels(first) == ["C1", "C2"]
    assert "Cohorts 1–2 of 3; the downloads hold them all." in first
    assert "?period=all&amp;cohorts=2#by-cohort" in first
    second = client.get(report_url(world, period="all", cohorts=2)).content.decode()
    assert _cohort_labels(second) == ["C3"]
    assert "Page 2 of 2" in second and "cohorts=1#by-cohort" in second
    # A page past the end, or not a number, shows the nearest page instead of failing.
    assert _cohort_labels(
        client.get(report_url(world, period="all", cohorts=9)).content.decode()
    ) == ["C3"]
    assert _cohort_labels(
        client.get(report_url(world, period="all", cohorts="x")).content.decode()
    ) == ["C1", "C2"]


def test_a_small_program_shows_every_cohort_without_paging(world, coordinator, client):
    runs.request_run(program=world.program, period="all")
    client.force_login(coordinator)
    page = client.get(report_url(world, period="all")).content.decode()
    assert _cohort_labels(page) == ["C1", "C2", "C3"]
    assert "Cohort pages" not in page
