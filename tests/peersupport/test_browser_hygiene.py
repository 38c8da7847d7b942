"""What the browser is told: keep no page, run only the site's own files, end the session
after a fixed time, and name downloads safely."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import HttpResponse
from django.urls import reverse

from evaluation import runs
from evaluation.models import EvaluationRun
from peersupport.http import content_disposition
from tests.exports.test_export_data import build
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_pages_with_participants_are_never_stored(client_for, coordinator, org):
    ParticipantFactory(organisation=org, code="P-00001")
    client = client_for(coordinator)
    for url in (reverse("participants:list"), reverse("profile"), reverse("account_login")):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_static_files_stay_cacheable(client_for, coordinator):
    response = client_for(coordinator).get("/static/css/app.css")
    assert "no-store" not in response.get("Cache-Control", "")


def test_every_page_sends_a_content_security_policy_without_inline_code(client_for, coordinator):
    policy = client_for(coordinator).get(reverse("profile"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, coordinator, settings):
    settings.SESSION_ABSOLUTE_HOURS = 12
    profile = reverse("profile")
    with time_machine.travel(datetime(2025, 3, 3, 8, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(coordinator)
        # Busy all day: a page every 25 minutes keeps the idle timeout (30) away.
        for _ in range(28):  # 8:00 → 19:40
            traveller.shift(timedelta(minutes=25))
            assert client.get(profile).status_code == 200
        traveller.shift(timedelta(minutes=25))  # 20:05: 12 hours and 5 minutes
        response = client.get(profile)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert client.get(profile)["Location"].startswith(reverse("account_login"))


def test_the_absolute_lifetime_starts_again_at_each_sign_in(client, coordinator, settings):
    settings.SESSION_ABSOLUTE_HOURS = 1
    with time_machine.travel(datetime(2025, 3, 3, 8, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(coordinator)
        traveller.shift(timedelta(minutes=25))
        assert client.get(reverse("profile")).status_code == 200
        traveller.shift(timedelta(minutes=25))
        assert client.get(reverse("profile")).status_code == 200
        traveller.shift(timedelta(minutes=25))
        assert client.get(reverse("profile")).status_code == 302
        client.force_login(coordinator)
        assert client.get(reverse("profile")).status_code == 200


@pytest.mark.parametrize(
    "name, fallback",
    [
        ('EV"2024";x\r\nSet-Cookie: a=b.csv', "EV_2024_x_Set-Cookie_ a_b.csv"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("Épanouie_été.xlsx", "Epanouie_ete.xlsx"),
        ("", "download"),
    ],
)
def test_content_disposition_is_one_safe_header(name, fallback):
    value = content_disposition(name)
    response = HttpResponse()
    response["Content-Disposition"] = value  # a bad header would raise here
    assert value.startswith(f'attachment; filename="{fallback}"')
    assert "\r" not in value and "\n" not in value and "/" not in value.split("filename*")[0]
    ascii_part = value.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in ascii_part and ";" not in ascii_part and "\\" not in ascii_part


def test_a_program_code_with_quotes_newlines_and_accents_downloads_safely(
    org, coordinator, evaluator, client_for
):
    w = build(org, coordinator)
    w.program.code = 'É"vil;\nname'
    w.program.save()
    run = EvaluationRun.objects.create(
        program=w.program, period="all", request_key="r", parameters={"min_cell": 5}
    )
    runs.execute(run_id=run.pk)
    response = client_for(evaluator).get(reverse("exports:report", args=[run.pk, "csv"]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header == (
        f'attachment; filename="E_vil__name_report_{run.pk}.csv"; '
        f"filename*=UTF-8''%C3%89%22vil%3B_name_report_{run.pk}.csv"
    )
