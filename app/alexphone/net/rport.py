"""Server-side Via stamping and response addressing (RFC 3261 §18.2.1-2, RFC 3581 §4)."""

from __future__ import annotations

import ipaddress

from alexphone.core.address import Address
from alexphone.net.flow import TransportKind
from alexphone.sip.headers import Via
from alexphone.sip.message import Request, split_values

__all__ = ["reliable_destination", "stamp_received", "udp_destination"]


def _same_ip(host: str, source: str) -> bool:
    """Tell whether a sent-by host is the very IP address ``source`` (a name never is)."""
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(source)
    except ValueError:
        return False


def stamp_received(request: Request, source: Address) -> None:
    """Add received/rport to the top Via of an inbound request, in place."""
    host, port = source
    host = host.partition("%")[0]  # an IPv6 scope id is not part of received
    via = request.top_via
    values: dict[str, str | None] = {}
    # RFC 3581 §4: with rport, received is added even when it equals sent-by
    if via.has_rport:
        values["rport"] = str(port)
        values["received"] = host
    elif not _same_ip(via.host, host):
        values["received"] = host  # RFC 3261 §18.2.1
    if not values:
        return
    _replace_top_via(request, via.with_params(**values))


def _replace_top_via(request: Request, top: Via) -> None:
    """Put ``top`` in place of the first Via value, keeping the others as written."""
    headers = request.headers
    fields = headers.get_fields("Via")
    first = split_values(fields[0])
    first[0] = str(top)
    headers.set("Via", ", ".join(first))
    for field in fields[1:]:
        headers.add("Via", field)


def _default_port(via: Via) -> int:
    kind = TransportKind.TLS if via.transport in ("TLS", "WSS") else TransportKind.UDP
    return kind.default_port


def udp_destination(via: Via) -> Address:
    """Where a UDP response goes: maddr, else received (or sent-by) and rport (or sent-by port)."""
    maddr = None
    for name, value in via.params:
        if name.lower() == "maddr" and value:
            maddr = value
    if maddr is not None:
        return maddr, via.port or _default_port(via)  # RFC 3261 §18.2.2
    host = via.received or via.host
    port = via.rport if via.rport is not None else via.port  # RFC 3581 §4
    return host, port or _default_port(via)


def reliable_destination(via: Via) -> Address:
    """Where to reconnect when a stream response's connection is gone (RFC 3261 §18.2.2)."""
    return via.received or via.host, via.port or _default_port(via)
