"""Finding someone by preferred name without decrypting every record (finding 8): a keyed
blind index of name words, exact and prefix match, kept up to date by the services,
audited and rate-limited."""

import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from participants import services
from participants.models import Enrollment, Participant, ParticipantNameTerm
from participants.name_index import Digester, name_digests, search_by_name, words
from peersupport.models import AuditEntry
from tests.factories import CohortFactory, ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate(settings):
    from django.core.cache import cache

    cache.clear()
    settings.NAME_SEARCHES_PER_MINUTE = 30


@pytest.fixture
def people(org, coordinator):
    names = ["Rosa Martín", "Rosalind Okafor", "Amélie Roy", "Kim Tran", "Rosa Lee"]
    return {
        name: services.participant_create(organisation=org, by=coordinator, preferred_name=name)
        for name in names
    }


def _find(org, user, query):
    return [
        p.preferred_name
        for p in search_by_name(
            participants=Participant.objects.all(), organisation=org, query=query, user=user
        )
    ]


def test_words_are_without_accents_and_case(org):
    assert words("  Éloïse-MARIE d'Aubigné ") == ["eloise", "marie", "d", "aubigne"]


def test_exact_and_prefix_searches_find_the_right_people(org, coordinator, people):
    assert _find(org, coordinator, "rosa") == ["Rosa Martín", "Rosalind Okafor", "Rosa Lee"]
    assert _find(org, coordinator, "Ros mart") == ["Rosa Martín"]
    assert _find(org, coordinator, "amelie") == ["Amélie Roy"]  # accents do not matter
    assert _find(org, coordinator, "ROY") == ["Amélie Roy"]
    assert _find(org, coordinator, "tranquille") == []


def test_the_index_holds_keyed_hashes_never_the_name(org, people, settings):
    stored = list(ParticipantNameTerm.objects.values_list("digest", flat=True))
    assert stored and all(len(d) == 64 for d in stored)
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest FROM participants_participantnameterm")
        dump = " ".join(row[0] for row in cursor.fetchall()).lower()
    assert "rosa" not in dump and "kim" not in dump
    # An unkeyed hash of a name is not there: the key is needed to make one.
    assert hashlib.sha256(f"{org.pk}\x1frosa".encode()).hexdigest() not in stored
    keyed = hmac.new(settings.NAME_INDEX_KEY.encode(), f"{org.pk}\x1frosa".encode(), "sha256")
    assert keyed.hexdigest() in stored


def test_the_index_key_is_not_an_encryption_key(settings):
    assert settings.NAME_INDEX_KEY not in settings.FIELD_ENCRYPTION_KEY


def test_another_organisation_with_the_same_name_is_not_found(org, other_org, coordinator, people):
    services.participant_create(organisation=other_org, by=None, preferred_name="Rosa Other")
    assert "Rosa Other" not in _find(org, coordinator, "rosa")
    assert not name_digests(org.pk, "Rosa") & name_digests(other_org.pk, "Rosa")


def test_a_changed_name_is_found_by_its_new_name_only(org, coordinator, people):
    kim = people["Kim Tran"]
    services.participant_update(participant=kim, by=coordinator, preferred_name="Kimberly Nguyen")
    assert _find(org, coordinator, "nguyen") == ["Kimberly Nguyen"]
    assert _find(org, coordinator, "tran") == []


def test_an_erased_participant_cannot_be_found_by_name(org, coordinator, people):
    services.participant_erase(participant=people["Kim Tran"], by=coordinator)
    assert _find(org, coordinator, "kim") == []
    assert not ParticipantNameTerm.objects.filter(participant=people["Kim Tran"]).exists()


def test_one_letter_is_refused_with_a_message(org, coordinator, people):
    with pytest.raises(ValidationError, match="at least two letters"):
        _find(org, coordinator, "r")


def test_each_search_is_audited_without_what_was_typed(org, coordinator, people):
    _find(org, coordinator, "rosa")
    entry = AuditEntry.objects.get(action="participant.name_search")
    assert entry.detail == {"words": 1, "found": 3}
    assert "rosa" not in str(entry.detail).lower() and "rosa" not in entry.object_repr.lower()


def test_searches_are_limited_per_user_and_the_refusal_is_audited(
    org, coordinator, people, settings
):
    settings.NAME_SEARCHES_PER_MINUTE = 3
    for _ in range(3):
        _find(org, coordinator, "rosa")
    with pytest.raises(ValidationError, match="Too many searches"):
        _find(org, coordinator, "rosa")
    assert AuditEntry.objects.filter(action="participant.name_search").count() == 3
    assert AuditEntry.objects.filter(action="participant.name_search_limited").count() == 1


def test_rebuild_name_index_indexes_names_written_around_the_services(org, coordinator):
    bulk = ParticipantFactory(organisation=org, preferred_name="Noor Haddad")
    ParticipantNameTerm.objects.all().delete()
    assert _find(org, coordinator, "noor") == []
    call_command("rebuild_name_index", batch_size=1)
    assert _find(org, coordinator, "noor") == [bulk.preferred_name]
    assert AuditEntry.objects.filter(action="name_index.rebuild").exists()


def test_the_participant_list_searches_by_name(client_for, coordinator, org, people):
    response = client_for(coordinator).get(reverse("participants:list"), {"name": "ros ok"})
    assert [p.code for p in response.context["page"]] == [people["Rosalind Okafor"].code]


def test_the_participant_list_says_when_searching_too_often(
    client_for, coordinator, org, people, settings
):
    settings.NAME_SEARCHES_PER_MINUTE = 1
    client = client_for(coordinator)
    client.get(reverse("participants:list"), {"name": "rosa"})
    response = client.get(reverse("participants:list"), {"name": "rosa"})
    assert response.status_code == 200
    assert "Too many searches by name" in response.content.decode()
    assert list(response.context["page"]) == []


def test_enrolling_picks_a_person_found_by_name(client_for, coordinator, org, people):
    cohort = CohortFactory(program=ProgramFactory(organisation=org), code="spring")
    url = reverse("participants:cohort_enrollments", args=[cohort.pk])
    client = client_for(coordinator)
    page = client.get(url, {"find": "amel"})
    amelie = people["Amélie Roy"]
    assert [p.code for p in page.context["found"]] == [amelie.code]
    html = page.content.decode()
    assert f"?pick={amelie.code}" in html
    chosen = client.get(url, {"pick": amelie.code})
    assert chosen.context["form"]["code"].value() == amelie.code
    client.post(url, {"code": amelie.code, "on": cohort.start_date.isoformat()})
    assert Enrollment.objects.filter(participant=amelie, cohort=cohort).exists()


def test_finding_by_name_on_the_enrol_page_says_what_is_wrong(client_for, coordinator, org):
    cohort = CohortFactory(program=ProgramFactory(organisation=org), code="spring")
    url = reverse("participants:cohort_enrollments", args=[cohort.pk])
    response = client_for(coordinator).get(url, {"find": "r"})
    assert response.status_code == 200
    assert "Type at least two letters" in response.content.decode()


def _settings_error(**env):
    import os
    import subprocess
    import sys

    from django.conf import settings

    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "0",
        "SECRET_KEY": "settings-test-secret-key-0123456789abcdefghijkl",
        "FIELD_ENCRYPTION_KEY": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI=",
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stderr.strip().splitlines()[-1] if done.stderr else ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "NAME_INDEX_KEY must be set when DEBUG is off."),
        (
            {"NAME_INDEX_KEY": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="},
            "NAME_INDEX_KEY must differ from FIELD_ENCRYPTION_KEY and SECRET_KEY.",
        ),
        ({"NAME_INDEX_KEY": "short"}, "NAME_INDEX_KEY must be at least 32 characters long."),
    ],
)
def test_production_needs_a_name_index_key_of_its_own(env, message):
    code, last_line = _settings_error(**env)
    assert code != 0
    assert last_line.endswith(message)


@pytest.mark.parametrize("n_found", [2, 12])
def test_finding_by_name_on_the_enrol_page_costs_the_same_for_more_people(
    client_for, coordinator, org, n_found, django_assert_max_num_queries
):
    for i in range(n_found):
        services.participant_create(organisation=org, by=None, preferred_name=f"Rosa {i}")
    cohort = CohortFactory(program=ProgramFactory(organisation=org), code="spring")
    client = client_for(coordinator)
    url = reverse("participants:cohort_enrollments", args=[cohort.pk])
    client.get(url)
    # 1-3 session, user, memberships; 4 the cohort; 5 its organisation (the search's
    # scope); 6 the count for the search's audit entry, 7-8 its chain head and insert;
    # 9 the people found; 10 the enrollments; 11-12 the page's own audit entry; 13-15 the
    # session save (savepoint, update, release). None per person found.
    with django_assert_max_num_queries(15):
        response = client.get(url, {"find": "rosa"})
    assert len(response.context["found"]) == n_found


def test_the_enrollment_date_page_has_a_fixed_number_of_queries(
    client_for, coordinator, org, django_assert_max_num_queries
):
    cohort = CohortFactory(program=ProgramFactory(organisation=org), code="spring")
    person = services.participant_create(organisation=org, by=None, preferred_name="Rosa")
    enrollment = services.enrollment_create(
        participant=person, cohort=cohort, on=cohort.start_date, by=coordinator
    )
    client = client_for(coordinator)
    url = reverse("participants:enrollment_redate", args=[enrollment.pk])
    client.get(url)
    # 1-3 session, user, memberships; 4 the enrollment with its cohort and participant;
    # 5-7 the session save (savepoint, update, release).
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200


def test_a_digester_gives_the_entries_of_one_digest_at_a_time(org, other_org):
    digest = Digester()
    for organisation in (org, other_org, org):
        for name in ("Rosa Martín", "Rosalind Okafor", "Rosa Lee", "A B"):
            assert name_digests(organisation.pk, name, digest) == name_digests(
                organisation.pk, name
            )
