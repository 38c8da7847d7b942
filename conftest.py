"""Root test configuration: shared fixtures (settings: peersupport.settings_test)."""

import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import MembershipFactory, OrganisationFactory
from tests.factories.peersupport import PASSWORD


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise():
    """A request in French leaves French active in the thread; reset it around each test."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """Stored files (exports, uploads) of one test never meet another's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: allauth counts sign-ins per minute and
    address there, and a fast run of the browser tests would otherwise meet its limits."""
    cache.clear()
    yield


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Safe Harbour", slug="safe-harbour")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Elsewhere Services", slug="elsewhere")


def _member(organisation, role):
    return MembershipFactory(organisation=organisation, role=role).user


@pytest.fixture
def coordinator(org):
    return _member(org, "coordinator")


@pytest.fixture
def facilitator(org):
    return _member(org, "facilitator")


@pytest.fixture
def evaluator(org):
    return _member(org, "evaluator")


@pytest.fixture
def outsider(other_org):
    """A coordinator of another organisation: must never see a byte of ``org``."""
    return _member(other_org, "coordinator")


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client signed in as ``user``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
