"""Which local address the kernel would send from toward a remote host (for Via/Contact)."""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["source_address"]

# Documentation prefixes (RFC 5737, RFC 3849): a route lookup toward them finds the
# default route, and connecting a UDP socket sends nothing.
_PROBE = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}
_LOOPBACK = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}
_DISCARD_PORT = 9


def source_address(remote_host: str | None, family: socket.AddressFamily) -> str:
    """Return the source address for ``remote_host`` (None: the default route) in ``family``.

    Connects a throwaway UDP socket (no packet leaves the host) and reads its local
    address; falls back to the loopback address when there is no route at all.
    """
    target = remote_host if remote_host is not None else _PROBE[family]
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, _DISCARD_PORT))
            host = str(probe.getsockname()[0])
    except OSError:
        return _LOOPBACK[family]
    address = ipaddress.ip_address(host.partition("%")[0])
    if address.is_unspecified:
        return _LOOPBACK[family]
    return host.partition("%")[0]  # the scope id is not part of a Via or URI host
