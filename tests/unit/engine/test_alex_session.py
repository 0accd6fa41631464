"""The per-call ALEX driver without sockets: headers, mode decision and the media gate."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alex_fakes import RecordingSipTransport

from alexphone.alex.events import Role
from alexphone.alex.negotiation import Mode, supports
from alexphone.core.ids import IdFactory
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import Event
from alexphone.sip.message import Headers

Address = tuple[str, int]


def _session(tmp_path: Path, role: Role, sip_port: int, media_port: int) -> AlexCall:
    events: list[Event] = []
    hub = AlexHub(RecordingSipTransport(sip_port), events.append, IdFactory(), profile=tmp_path)  # type: ignore[arg-type]
    return AlexCall(hub, "call-1", role, ("127.0.0.1", media_port), "sip:peer@example.com")


def _announced(session: AlexCall) -> Headers:
    headers = Headers()
    session.announce(headers)
    return headers


def test_announce_carries_supported_session_and_loopback_items(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLING, 5062, 16500)
        headers = _announced(session)
        assert supports(headers)
        items = headers.get_fields("ALEX-item")
        assert any(i.startswith("m0.1 udp 127.0.0.1:16500;typ=host") for i in items)
        assert any(i.startswith("sip udp 127.0.0.1:5062;typ=host") for i in items)

    asyncio.run(scenario())


def test_gate_closed_under_alex_until_a_probe_is_answered(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = _session(tmp_path / "a", Role.CONTROLLING, 5062, 16500)
        callee = _session(tmp_path / "b", Role.CONTROLLED, 5064, 16502)
        callee.peer_headers(_announced(caller), final=True)
        caller.peer_headers(_announced(callee), final=True)
        assert caller.mode is Mode.ALEX and callee.mode is Mode.ALEX
        assert caller.peer.startswith("<urn:uuid:")  # the instance keys the cache
        sent: list[Address] = []
        gated = caller.gate(lambda data, remote: sent.append(remote))
        gated(b"\x80" + bytes(11), ("127.0.0.1", 16502))  # the SDP address: never probed
        assert sent == [] and not caller.may_send(("127.0.0.1", 16502))
        caller.close()
        callee.close()

    asyncio.run(scenario())


def test_plain_peer_leaves_the_gate_open_and_gets_no_alex_headers(tmp_path: Path) -> None:
    async def scenario() -> None:
        callee = _session(tmp_path, Role.CONTROLLED, 5064, 16502)
        plain = Headers()
        plain.add("Supported", "replaces, timer")
        callee.peer_headers(plain, final=True)
        assert callee.mode is Mode.PLAIN and not callee.active
        assert callee.may_send(("192.0.2.7", 4000))
        headers = _announced(callee)
        assert supports(headers) and "ALEX-session" not in headers
        callee.close()

    asyncio.run(scenario())


def test_malformed_alex_headers_fall_back_to_plain(tmp_path: Path) -> None:
    async def scenario() -> None:
        callee = _session(tmp_path, Role.CONTROLLED, 5064, 16502)
        bad = Headers()
        bad.add("Supported", "alex")
        bad.add("ALEX-session", "v=1;ufrag=x")
        callee.peer_headers(bad, final=True)
        assert callee.mode is Mode.PLAIN
        callee.close()

    asyncio.run(scenario())


def test_a_restart_renews_the_checks_on_both_sides(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = _session(tmp_path / "a", Role.CONTROLLING, 5062, 16500)
        callee = _session(tmp_path / "b", Role.CONTROLLED, 5064, 16502)
        callee.peer_headers(_announced(caller), final=True)
        caller.peer_headers(_announced(callee), final=True)
        before = caller.credentials

        caller.renew(keep_gathered=True)
        assert caller.credentials != before and caller.controlling
        assert caller.peer_credentials is None  # a fresh agent: the peer's answer starts it
        assert {c.flow for c in caller.candidates} == {"m0.1", "sip"}

        assert callee.renew_for_peer(_announced(caller))  # a new ALEX-session: it restarts
        assert callee.peer_credentials == caller.credentials and not callee.controlling
        assert not callee.renew_for_peer(_announced(caller))  # the same one: no second restart
        assert caller.restart_checks(_announced(callee))
        assert caller.peer_credentials == callee.credentials
        assert not caller.restart_checks(Headers())  # an answer without ALEX starts nothing
        caller.close()
        callee.close()

    asyncio.run(scenario())
