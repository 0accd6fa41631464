"""Which addresses may be announced, accepted from a peer, or paired (docs/ALEX.md "Bad input").

A peer's item naming loopback, multicast, broadcast, unspecified or reserved space would make us
probe (and later stream to) an address nobody can own for the call: such items are discarded
before pairing, so an ALEX header cannot turn us into an amplifier. Link-local addresses only
meet link-local addresses (they mean nothing off the link).
"""

from __future__ import annotations

import ipaddress
from enum import Enum

from alexphone.core.address import Address

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6724 §2.1: transition prefixes rank below native IPv4
_TRANSITION = (
    ipaddress.ip_network("2002::/16"),  # 6to4
    ipaddress.ip_network("2001::/32"),  # Teredo
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated)
)


class AddressClass(Enum):
    """Ranking classes for the local preference: higher value, better (docs/ALEX.md "Gathering")."""

    LINK_LOCAL = 0
    IPV6_TRANSITION = 1
    IPV4 = 2
    IPV6 = 3  # global unicast and unique-local (RFC 4193 §3: global scope)


def _ip(text: str) -> _IP | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_link_local(ip: str) -> bool:
    """Tell whether ``ip`` is IPv4 169.254/16 or IPv6 fe80::/10."""
    parsed = _ip(ip)
    return parsed is not None and parsed.is_link_local


def is_usable(ip: str) -> bool:
    """Tell whether a unicast address can take part in a call at all (not loopback & co)."""
    parsed = _ip(ip)
    if parsed is None:
        return False
    if parsed.is_loopback or parsed.is_multicast or parsed.is_unspecified or parsed.is_reserved:
        return False  # is_reserved covers 240/4, hence 255.255.255.255
    if isinstance(parsed, ipaddress.IPv4Address):
        return not parsed.packed.startswith(b"\0")  # 0.0.0.0/8: "this network"
    return parsed.ipv4_mapped is None and not parsed.is_site_local


def is_usable_address(address: Address) -> bool:
    """Like ``is_usable`` and the port is not 0."""
    return 0 < address[1] < 65536 and is_usable(address[0])


def address_class(ip: str) -> AddressClass:
    """Rank a usable local address for the local preference."""
    parsed = ipaddress.ip_address(ip)
    if parsed.is_link_local:
        return AddressClass.LINK_LOCAL
    if isinstance(parsed, ipaddress.IPv4Address):
        return AddressClass.IPV4
    if any(parsed in net for net in _TRANSITION):
        return AddressClass.IPV6_TRANSITION
    return AddressClass.IPV6


def can_pair(local_ip: str, remote_ip: str) -> bool:
    """Same family; a link-local address pairs only with a link-local one (RFC 8445 §6.1.2.2)."""
    local, remote = _ip(local_ip), _ip(remote_ip)
    if local is None or remote is None or local.version != remote.version:
        return False
    return local.is_link_local == remote.is_link_local


def accept_remote(address: Address, local_ips: list[str] | tuple[str, ...]) -> bool:
    """Keep a peer's address if usable and at least one local address could pair with it."""
    return is_usable_address(address) and any(can_pair(ip, address[0]) for ip in local_ips)
