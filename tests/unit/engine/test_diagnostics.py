"""The engine's look-ups: LAN peers told once however many service types they publish."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alexphone.discovery.peer_table import ServiceRecord
from alexphone.discovery.txt_record import TxtRecord
from alexphone.engine.diagnostics import OncePerPeer
from alexphone.engine.events import Event, PeerAdded, PeerKind, PeerRemoved
from alexphone.engine.lan_discovery import LanDiscovery
from alexphone.engine.settings import PhoneSettings

TYPES = ("_sip._udp.local.", "_sip._tcp.local.", "_sipuri._udp.local.")


def _record(service_type: str, address: str = "192.0.2.7") -> ServiceRecord:
    txt = TxtRecord(user="bob", contact="sip:bob@192.0.2.7:5060", alex=True)
    return ServiceRecord(service_type, "bob.local.", 5060, (address,), txt)


def _browse(tmp_path: Path, steps: list[tuple[str, ServiceRecord | None]]) -> list[Event]:
    """Feed the table as DNS-SD would (a record, or a goodbye when None); return what is told."""
    told: list[Event] = []

    async def scenario() -> None:
        lan = LanDiscovery(PhoneSettings(profile=tmp_path), OncePerPeer(told.append))
        for service_type, record in steps:
            if record is None:
                lan._on_goodbye("bob", service_type)
            else:
                lan._on_record("bob", record)

    asyncio.run(scenario())
    return told


def test_a_peer_publishing_three_service_types_is_told_once(tmp_path: Path) -> None:
    steps: list[tuple[str, ServiceRecord | None]] = [(t, _record(t)) for t in TYPES]
    steps += [(t, None) for t in TYPES]
    told = _browse(tmp_path, steps)
    assert [type(e) for e in told] == [PeerAdded, PeerRemoved]
    added = told[0]
    assert isinstance(added, PeerAdded)
    assert (added.peer, added.uri, added.role) == ("bob", "sip:bob@192.0.2.7:5060", PeerKind.UA)


def test_a_peer_is_told_again_when_what_it_publishes_changes(tmp_path: Path) -> None:
    udp, tcp = TYPES[:2]
    told = _browse(
        tmp_path,
        [(udp, _record(udp)), (tcp, _record(tcp, "192.0.2.8")), (tcp, _record(tcp, "192.0.2.8"))],
    )
    assert [e.addresses for e in told if isinstance(e, PeerAdded)] == [
        ("192.0.2.7",),
        ("192.0.2.7", "192.0.2.8"),
    ]
