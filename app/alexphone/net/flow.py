"""Transport kinds, listen specifications and flows (one UDP 5-tuple or one TCP connection)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from enum import Enum

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError

__all__ = [
    "Flow",
    "ListenSpec",
    "TransportKind",
    "address_key",
    "format_address",
    "ip_family",
    "is_ip_literal",
    "is_wildcard",
]


class TransportKind(Enum):
    """The transport protocol of a listener or flow (RFC 3261 §18)."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"

    @property
    def reliable(self) -> bool:
        """Tell whether the transport is a reliable stream (RFC 3261 §18.2.2)."""
        return self is not TransportKind.UDP

    @property
    def default_port(self) -> int:
        """5060, or 5061 for TLS (RFC 3261 §19.1.2)."""
        return 5061 if self is TransportKind.TLS else 5060


def is_ip_literal(host: str) -> bool:
    """Tell whether ``host`` is an IPv4 or IPv6 address (IPv6 without brackets)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def ip_family(host: str) -> socket.AddressFamily:
    """Return AF_INET or AF_INET6 for an IP literal (ValueError if it is not one)."""
    return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET


def is_wildcard(host: str) -> bool:
    """Tell whether ``host`` is 0.0.0.0 or :: (bound to every interface)."""
    return is_ip_literal(host) and ipaddress.ip_address(host).is_unspecified


def address_key(address: Address) -> Address:
    """Normalize an address for lookups ("0:0::1" and "::1" are the same host)."""
    host, port = address
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        return host.lower(), port


def format_address(address: Address) -> str:
    """Render ``host:port``, IPv6 hosts in brackets."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """Where to listen: ``udp:127.0.0.1:5060``, ``tcp:[::1]:0`` (port 0: any free port)."""

    kind: TransportKind
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenSpec:
        """Parse ``kind:host[:port]``; a bad value raises ConfigError saying what is wrong."""
        kind_text, sep, rest = text.strip().partition(":")
        if not sep:
            raise ConfigError(f"listen address {text!r} must look like udp:HOST:PORT")
        try:
            kind = TransportKind(kind_text.lower())
        except ValueError:
            raise ConfigError(
                f"listen address {text!r}: unknown transport {kind_text!r} (use udp, tcp or tls)"
            ) from None
        host, port = _split_host_port(text, rest, kind.default_port)
        return cls(kind, host, port)

    def __str__(self) -> str:
        return f"{self.kind.value}:{format_address((self.host, self.port))}"


def _split_host_port(text: str, rest: str, default_port: int) -> Address:
    """Split ``host[:port]`` / ``[v6][:port]`` of a listen address, checking both."""
    if rest.startswith("["):
        host, close, tail = rest[1:].partition("]")
        if not close:
            raise ConfigError(f"listen address {text!r}: missing ']' after the IPv6 address")
        if tail and not tail.startswith(":"):
            raise ConfigError(f"listen address {text!r}: expected ':PORT' after ']'")
        port_text = tail[1:] if tail else None
    elif rest.count(":") > 1:
        raise ConfigError(
            f"listen address {text!r}: put an IPv6 address in brackets, e.g. udp:[::1]:5060"
        )
    else:
        host, sep, port_text_raw = rest.partition(":")
        port_text = port_text_raw if sep else None
    if not host:
        raise ConfigError(f"listen address {text!r} has no host")
    if not is_ip_literal(host) or ("%" in host):
        raise ConfigError(f"listen address {text!r}: {host!r} is not an IP address")
    if (":" in host) != rest.startswith("["):
        raise ConfigError(f"listen address {text!r}: brackets are only for IPv6 addresses")
    if port_text is None:
        return host, default_port
    if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
        raise ConfigError(f"listen address {text!r}: port {port_text!r} is not in 0-65535")
    return host, int(port_text)


@dataclass(frozen=True, slots=True)
class Flow:
    """One UDP 5-tuple or one TCP connection: how a message came in or went out."""

    kind: TransportKind
    local: Address
    remote: Address

    def __str__(self) -> str:
        return f"{self.kind.value} {format_address(self.local)} <-> {format_address(self.remote)}"
