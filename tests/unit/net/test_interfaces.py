"""Interface enumeration and the network fingerprint."""

from __future__ import annotations

from pathlib import Path

from alexphone.net.interfaces import (
    InterfaceAddress,
    default_gateways,
    is_up,
    local_addresses,
    network_fingerprint,
    on_local_subnet,
)

LAN = [
    InterfaceAddress("eth0", 2, "192.168.1.20", 24),
    InterfaceAddress("eth0", 2, "2001:db8:1::20", 64),
    InterfaceAddress("eth0", 2, "fe80::1", 64, scope_id=2),
]


def test_local_addresses_skip_loopback_unless_asked() -> None:
    plain = local_addresses()
    with_loopback = local_addresses(include_loopback=True)

    assert all(not a.ip.is_loopback for a in plain)
    assert any(a.address == "127.0.0.1" for a in with_loopback)


def test_subnet_membership_follows_the_prefix_and_family() -> None:
    assert on_local_subnet("192.168.1.77", LAN)
    assert on_local_subnet("2001:db8:1::99", LAN)
    assert not on_local_subnet("192.168.2.1", LAN)
    assert not on_local_subnet("not an address", LAN)


def test_fingerprint_changes_with_prefix_or_gateway_but_not_link_local() -> None:
    base = network_fingerprint(LAN, ["192.168.1.1"])

    moved = network_fingerprint([InterfaceAddress("eth0", 2, "10.0.0.5", 24)], ["192.168.1.1"])
    new_gateway = network_fingerprint(LAN, ["192.168.1.254"])
    other_link_local = network_fingerprint(
        [*LAN[:2], InterfaceAddress("eth0", 2, "fe80::99", 64, 2)], ["192.168.1.1"]
    )

    assert base != moved
    assert base != new_gateway
    assert base == other_link_local
    assert base == network_fingerprint(list(reversed(LAN)), ["192.168.1.1"])


def test_default_gateways_read_from_proc_tables(tmp_path: Path) -> None:
    (tmp_path / "route").write_text(
        "Iface\tDestination\tGateway\tFlags\n"
        "eth0\t00000000\t0101A8C0\t0003\n"
        "eth0\t0001A8C0\t00000000\t0001\n"
    )
    (tmp_path / "ipv6_route").write_text(
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "20010db8000100000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
    )

    assert default_gateways(tmp_path) == ["192.168.1.1", "2001:db8:1::1"]
    assert default_gateways(tmp_path / "missing") == []


def test_a_downed_link_is_not_up_and_unknown_ones_are(tmp_path: Path) -> None:
    for name, flags in (("eth0", "0x1002\n"), ("eth1", "0x1003\n"), ("bad", "zz")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "flags").write_text(flags)
    assert not is_up("eth0", tmp_path)  # IFF_UP clear: `ip link set eth0 down`
    assert is_up("eth1", tmp_path)
    assert is_up("bad", tmp_path) and is_up("missing", tmp_path)  # no word from sysfs
