"""The DNS-SD peer table: add/update/remove, TTL expiry on a fake clock, callability."""

from __future__ import annotations

from alexphone.core.clock import FakeClock
from alexphone.discovery.peer_table import ChangeKind, PeerTable, ServiceRecord
from alexphone.discovery.txt_record import PeerRole, TxtRecord
from alexphone.net.interfaces import InterfaceAddress

UDP = "_sip._udp.local."
TCP = "_sip._tcp.local."
LAN = [InterfaceAddress("eth0", 2, "10.77.0.11", 24)]


def record(
    service: str = UDP, addresses: tuple[str, ...] = ("10.77.0.12",), port: int = 5060, **txt: str
) -> ServiceRecord:
    return ServiceRecord(service, "bob-host.local.", port, addresses, TxtRecord(user="bob", **txt))


def test_first_record_adds_and_repeat_changes_nothing() -> None:
    table = PeerTable()
    change = table.update("Bob", record(), now=0.0)
    assert change is not None and change.kind is ChangeKind.ADDED
    assert change.peer.name == "Bob"
    assert table.update("Bob", record(), now=1.0) is None
    moved = table.update("Bob", record(addresses=("10.77.0.13",)), now=2.0)
    assert moved is not None and moved.kind is ChangeKind.UPDATED
    assert moved.peer.addresses == ("10.77.0.13",)


def test_peer_goes_when_its_last_service_says_goodbye() -> None:
    table = PeerTable()
    table.update("Bob", record(UDP), now=0.0)
    table.update("bob", record(TCP), now=0.0)  # same instance, any case
    assert len(table.peers()) == 1
    partial = table.remove("Bob", UDP)
    assert partial is not None and partial.kind is ChangeKind.UPDATED
    assert table.remove("Bob", UDP) is None
    gone = table.remove("BOB", TCP)
    assert gone is not None and gone.kind is ChangeKind.REMOVED
    assert gone.peer.uri() == "sip:bob@10.77.0.12:5060;transport=tcp"  # last known state
    assert table.peers() == [] and table.get("Bob") is None


def test_records_expire_after_their_ttl_on_a_fake_clock() -> None:
    clock = FakeClock(100.0)
    table = PeerTable(ttl=120.0)
    table.update("Bob", record(UDP), now=clock())
    clock.advance(60.0)
    table.update("Bob", record(TCP), now=clock())  # refreshed later: lives longer
    assert table.get_timer() == 220.0
    clock.advance(59.9)
    assert table.expire(clock()) == []
    clock.advance(0.1)
    changes = table.expire(clock())
    assert [c.kind for c in changes] == [ChangeKind.UPDATED]
    assert table.get_timer() == 280.0
    clock.advance(60.0)
    table.handle_timer(clock())
    assert [c.kind for c in iter(table.next_change, None)] == [ChangeKind.REMOVED]
    assert table.get_timer() is None


def test_refresh_pushes_expiry_back() -> None:
    table = PeerTable(ttl=10.0)
    table.update("Bob", record(), now=0.0)
    table.update("Bob", record(), now=8.0)
    assert table.expire(12.0) == []
    assert len(table.expire(18.0)) == 1


def test_udp_record_speaks_for_the_peer() -> None:
    table = PeerTable()
    table.update("Bob", record(TCP, port=5070), now=0.0)
    table.update("Bob", record(UDP, port=5080), now=0.0)
    peer = table.get("Bob")
    assert peer is not None and peer.primary.port == 5080
    target = peer.target(peer.addresses)
    assert str(target) == "sip:bob@10.77.0.12:5080"


def test_contact_in_txt_is_the_uri_shown() -> None:
    table = PeerTable()
    change = table.update("Bob", record(contact="sip:bob@10.77.0.12:5099"), now=0.0)
    assert change is not None and change.peer.uri() == "sip:bob@10.77.0.12:5099"


def test_callable_only_on_a_local_subnet_or_link_local() -> None:
    table = PeerTable()
    addresses = ("192.0.2.7", "10.77.0.12", "fe80::1%2", "fd00::9")
    table.update("Bob", record(addresses=addresses), now=0.0)
    peer = table.get("bob")
    assert peer is not None
    assert peer.callable_addresses(LAN) == ["10.77.0.12", "fe80::1%2"]
    assert peer.callable_addresses([]) == ["fe80::1%2"]


def test_find_by_instance_or_host_name_never_by_txt_name() -> None:
    table = PeerTable()
    table.update("Alice's laptop (2)", record(name="Alice's laptop"), now=0.0)
    assert table.find("alice's LAPTOP (2)") is not None
    assert table.find("bob-host.local") is not None
    assert table.find("Alice's laptop") is None  # a renamed twin is not the one asked for
    assert table.find("nobody") is None


def test_role_comes_from_txt() -> None:
    table = PeerTable()
    change = table.update("Proxy", record(), now=0.0)
    assert change is not None and change.peer.role is PeerRole.UA
    proxy = ServiceRecord(UDP, "p.local.", 5060, ("10.77.0.1",), TxtRecord(role=PeerRole.PROXY))
    changed = table.update("Proxy", proxy, now=0.0)
    assert changed is not None and changed.peer.role is PeerRole.PROXY
