"""The audit log's client address: X-Forwarded-For only from a trusted proxy."""

import pytest
from django.test import RequestFactory

from peersupport.client_ip import client_ip
from peersupport.models import AuditEntry


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_header_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_forwarded_header_from_an_untrusted_address_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_passes_on_the_client_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(request_from("10.0.0.5", "198.51.100.1")) == "198.51.100.1"


def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The leftmost entry is whatever the client wrote; only hops added by our proxies count.
    forged_chain = "6.6.6.6, 198.51.100.1, 10.0.0.7"
    assert client_ip(request_from("10.0.0.5", forged_chain)) == "198.51.100.1"


def test_a_garbled_chain_records_the_socket_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.5", "not-an-address")) == "10.0.0.5"


@pytest.mark.django_db
def test_a_sign_in_through_an_untrusted_client_keeps_the_socket_address(
    client, coordinator, password, settings
):
    settings.TRUSTED_PROXIES = []
    client.post(
        "/accounts/login/",
        {"login": coordinator.email, "password": password},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    entry = AuditEntry.objects.filter(actor=coordinator).latest("created_at")
    assert entry.ip_address == "203.0.113.9"
