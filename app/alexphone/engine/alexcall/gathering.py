"""The engine's entry to gathering: a call's candidates from its real sockets, and ``addresses``.

    gathered = await gather_for_call(
        settings,                       # PhoneSettings: .stun, .turn
        media=[("m0.1", media_port)],   # MediaPort (before the RtpSocket takes it) or RtpSocket
        sip=[SipMapping(sent_by, received_rport)],  # SIP UDP sent-by, REGISTER received/rport
        sip_stun=None,                  # a StunClient on the SIP socket, if no mapping is known
        include_link_local=False,       # True only toward a link-local peer
    )
    gathered.candidates    # list[Candidate], "sip" first, each flow best first
    gathered.problems      # list[GatheringFailed]: STUN/TURN that failed (call goes on)
    gathered.relays        # {"m0.1": RelayAllocation}: send/on_receive through TURN
    await gathered.close() # at call end: frees the TURN allocations

A ``MediaPort``'s RTP socket is borrowed while gathering (a reader on the event loop hands its
STUN answers to a ``StunClient``) and given back untouched, so the ``RtpSocket`` can take it
later; an open ``RtpSocket`` gets a ``StunClient`` in front of its ``on_stun`` for the same
time. Gathering is bounded by the STUN (1.5 s) and TURN (3 s) timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from alexphone.alex.candidate import format_hostport
from alexphone.alex.items import ITEM_HEADER, format_item
from alexphone.core.address import Address
from alexphone.core.errors import ConfigError
from alexphone.engine.settings import PhoneSettings
from alexphone.net.gatherer import Gathered, Gatherer, SocketBase
from alexphone.net.media_family import add_ipv6_pair
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.net.stun_client import StunClient, parse_server
from alexphone.net.transport import TransportKind
from alexphone.net.turn_client import TurnSettings, parse_turn_uri

log = logging.getLogger(__name__)
_MAX_DATAGRAM = 65535


@dataclass(frozen=True, slots=True)
class SipMapping:
    """The SIP UDP socket's sent-by and, once registered, the Via received/rport (RFC 3581)."""

    local: Address
    reflexive: Address | None = None


async def gather_for_call(
    settings: PhoneSettings,
    media: Sequence[tuple[str, MediaPort | RtpSocket]] = (),
    sip: Sequence[SipMapping] = (),
    *,
    sip_stun: StunClient | None = None,
    include_link_local: bool = False,
) -> Gathered:
    """Gather host, srflx and (media only) relay candidates for one call; never raises."""
    gatherer = Gatherer(settings.stun, settings.turn)
    bases = [
        SocketBase(
            "sip", m.local, stun=sip_stun if m.reflexive is None else None, reflexive=m.reflexive
        )
        for m in sip
    ]
    async with contextlib.AsyncExitStack() as stack:
        for flow, owner in media:
            client = await stack.enter_async_context(_stun_on(owner))
            local = owner.local if isinstance(owner, RtpSocket) else (owner.host, owner.port)
            bases.append(SocketBase(flow, local, stun=client, relay=settings.turn is not None))
        return await gatherer.gather(bases, include_link_local=include_link_local)


@contextlib.asynccontextmanager
async def _stun_on(owner: MediaPort | RtpSocket) -> AsyncIterator[StunClient]:
    """A StunClient that sends from ``owner``'s RTP socket and hears its STUN answers."""
    if isinstance(owner, RtpSocket):
        previous = owner.on_stun
        client = StunClient(owner.send_rtp)

        def chained(data: bytes, addr: Address) -> None:
            if not client.receive(data, addr) and previous is not None:
                previous(data, addr)

        owner.on_stun = chained
        try:
            yield client
        finally:
            if owner.on_stun is chained:
                owner.on_stun = previous
        return
    if owner.sockets is None:
        raise ValueError(f"media port {owner.port} was already taken")
    async with _borrowed(owner.sockets[0]) as client:
        yield client


@contextlib.asynccontextmanager
async def _borrowed(sock: socket.socket) -> AsyncIterator[StunClient]:
    """Read a bound UDP socket on the loop while the block runs; leave it open afterwards."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)

    def send(data: bytes, addr: Address) -> None:
        sock.sendto(data, addr)  # a datagram socket: the send never blocks for long

    client = StunClient(send)

    async def read() -> None:
        while True:
            try:
                data, addr = await loop.sock_recvfrom(sock, _MAX_DATAGRAM)
            except OSError as exc:  # ICMP errors surface here on Linux: keep reading
                log.debug("borrowed socket: %s", exc)
                continue
            if not client.receive(data, (str(addr[0]), int(addr[1]))):
                log.debug("borrowed socket: dropped a datagram from %s", addr)

    reader = asyncio.create_task(read())
    try:
        yield client
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def gather_addresses(settings: PhoneSettings) -> Gathered:
    """What a call would announce now, from throwaway sockets (``alexphone addresses``)."""
    sip_sockets: list[socket.socket] = []
    media_host = settings.listen[0].host
    port = MediaPort(media_host if media_host not in ("", "::") else "0.0.0.0")
    try:
        async with contextlib.AsyncExitStack() as stack:
            bases: list[SocketBase] = []
            for spec in settings.listen:
                if spec.kind is not TransportKind.UDP:
                    continue
                sock = _bind_udp(spec.host, spec.port)
                sip_sockets.append(sock)
                client = await stack.enter_async_context(_borrowed(sock))
                local = sock.getsockname()
                bases.append(SocketBase("sip", (spec.host, int(local[1])), stun=client))
            client = await stack.enter_async_context(_stun_on(port))
            relay = settings.turn is not None
            bases.append(SocketBase("m0.1", (port.host, port.port), stun=client, relay=relay))
            v6 = add_ipv6_pair(port, [spec.host for spec in settings.listen])
            if v6 is not None:  # as a call opens it (media_family.py): STUN only toward IPv6
                v6_stun = settings.stun is not None and ":" in settings.stun[0]
                v6_client = await stack.enter_async_context(_stun_on(v6)) if v6_stun else None
                bases.append(SocketBase("m0.1", (v6.host, v6.port), stun=v6_client))
            return await Gatherer(settings.stun, settings.turn).gather(bases)
    finally:
        port.close()
        for sock in sip_sockets:
            sock.close()


def _bind_udp(host: str, port: int) -> socket.socket:
    """Bind like the SIP listener would; a busy port (a running phone) falls back to any."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        log.info("udp %s:%d is busy: gathering from another port", host, port)
        sock.bind((host, 0))
    return sock


def nat_servers(
    stun: str | None, turn: str | None, turn_user: str | None, turn_password_file: Path | None
) -> tuple[tuple[str, int] | None, TurnSettings | None]:
    """Turn ``--stun``/``--turn``/``--turn-user``/``--turn-password-file`` into settings."""
    stun_server = parse_server(stun) if stun else None
    if turn is None:
        if turn_user or turn_password_file:
            raise ConfigError("--turn-user/--turn-password-file need --turn turn:HOST:PORT")
        return stun_server, None
    password = None
    if turn_password_file is not None:
        try:
            password = turn_password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"--turn-password-file: cannot read {turn_password_file}: {exc.strerror}"
            ) from None
    return stun_server, parse_turn_uri(turn, turn_user, password)


def address_lines(gathered: Gathered, as_json: bool) -> list[str]:
    """One line per candidate: the ALEX-item header line, or a JSON object."""
    if not as_json:
        return [f"{ITEM_HEADER}: {format_item(c)}" for c in gathered.candidates]
    return [
        json.dumps(
            {
                "flow": c.flow,
                "transport": c.transport,
                "address": c.address[0],
                "port": c.address[1],
                "typ": c.type.value,
                "pri": c.priority,
                "fnd": c.foundation,
                "raddr": format_hostport(c.related) if c.related is not None else None,
                "item": format_item(c),
            }
        )
        for c in gathered.candidates
    ]
