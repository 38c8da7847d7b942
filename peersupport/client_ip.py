"""The client's address as the audit log records it.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when
the request comes from a proxy the operator named in ``TRUSTED_PROXIES`` (addresses or
networks). The chain is then read from the right: the first address that is not itself a
trusted proxy is the client. Anything else records ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str | None:
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _trusted(_address(remote or ""), networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote  # a forged or garbled chain: keep what the socket saw
        if not _trusted(address, networks):
            return str(address)
    return remote
