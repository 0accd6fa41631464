"""A call's second RTP port pair, for IPv6, beside the pair on the first listening address.

ALEX prefers IPv6 where it works, so a dual-stack phone offers audio candidates of both
families (RFC 8445 §5.1.1.1: every interface address of every family is a host candidate).
The SDP ``c=`` line stays on the first pair's family, so a plain peer sees nothing new.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence

from alexphone.core.errors import TransportError
from alexphone.net.flow import is_wildcard
from alexphone.net.interfaces import InterfaceAddress, local_addresses
from alexphone.net.media_port import MediaPort

log = logging.getLogger(__name__)


def _is_v6(host: str) -> bool:
    return ":" in host


def has_routable_ipv6(addresses: Iterable[InterfaceAddress]) -> bool:
    """Tell whether an interface has a global or unique local IPv6 address (not fe80::)."""
    for entry in addresses:
        ip = entry.ip
        if isinstance(ip, ipaddress.IPv6Address) and not (
            ip.is_link_local or ip.is_loopback or ip.ipv4_mapped is not None
        ):
            return True
    return False


def ipv6_media_host(
    primary: str, listen_hosts: Sequence[str], addresses: Iterable[InterfaceAddress]
) -> str | None:
    """Where the IPv6 pair binds: an IPv6 listener's address, ``::``, or None (no pair)."""
    if _is_v6(primary) and not is_wildcard(primary):
        return None  # the first pair is IPv6 already
    for host in listen_hosts:
        if _is_v6(host) and not is_wildcard(host):
            return host
    if "::" in listen_hosts:
        return "::"
    if any(host in ("", "0.0.0.0") for host in listen_hosts) and has_routable_ipv6(addresses):
        return "::"
    return None


def add_ipv6_pair(port: MediaPort, listen_hosts: Sequence[str]) -> MediaPort | None:
    """Bind the IPv6 pair for ``port`` (the same port number when free) as ``port.v6``."""
    if _is_v6(port.host):
        return None
    host = ipv6_media_host(port.host, listen_hosts, local_addresses())
    if host is None:
        return None
    try:
        port.v6 = MediaPort(host, start=port.port)
    except (TransportError, OSError) as exc:  # no IPv6 stack: audio stays on one family
        log.info("no IPv6 RTP pair on %s: %s", host, exc)
        return None
    return port.v6
