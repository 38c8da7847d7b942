"""Root test configuration: shared fixtures (settings: peersupport.settings_test)."""

import pytest
from django.core.cache import cache
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations
from django.utils import translation

from peersupport import audit_guard
from tests.factories import MembershipFactory, OrganisationFactory
from tests.factories.peersupport import PASSWORD

_sqlite_sql_flush = SQLiteOperations.sql_flush


def _sql_flush_past_the_audit_triggers(self, style, tables, **kwargs):
    """Tests that run outside a transaction (the browser tests) empty every table
    afterwards. PostgreSQL does so with ``TRUNCATE``, which the audit table's row triggers
    let through; SQLite deletes rows, which they refuse: lift them around the flush."""
    sql = _sqlite_sql_flush(self, style, tables, **kwargs)
    if audit_guard.TABLE not in tables:
        return sql
    return [*audit_guard.UNINSTALL["sqlite"], *sql, *audit_guard.INSTALL["sqlite"]]


SQLiteOperations.sql_flush = _sql_flush_past_the_audit_triggers


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
