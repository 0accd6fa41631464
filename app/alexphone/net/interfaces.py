"""Local interface addresses and the network fingerprint that keys the ALEX cache.

Addresses come from ``ifaddr`` (getifaddrs on POSIX, GetAdaptersAddresses on
Windows; already a zeroconf dependency). The default gateways come from
/proc/net on Linux; elsewhere the fingerprint uses the prefixes alone.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ifaddr


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    """One address of one interface, in the order the OS lists interfaces."""

    interface: str
    index: int
    address: str  # IPv6 without scope; see scope_id
    prefix_length: int
    scope_id: int = 0

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """Return the address as an ipaddress object."""
        return ipaddress.ip_address(self.address)

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """Return the on-link prefix."""
        return ipaddress.ip_network(f"{self.address}/{self.prefix_length}", strict=False)

    @property
    def is_link_local(self) -> bool:
        """Tell whether the address only works on its own link (fe80::/10, 169.254/16)."""
        return self.ip.is_link_local


_IFF_UP = 0x1  # <linux/if.h>


def is_up(name: str, sysfs: Path = Path("/sys/class/net")) -> bool:
    """Tell whether interface ``name`` is administratively up (Linux keeps the IPv4
    addresses of a downed link); True where sysfs does not say (other systems)."""
    try:
        return bool(int((sysfs / name / "flags").read_text().strip(), 16) & _IFF_UP)
    except (OSError, ValueError):
        return True


def local_addresses(include_loopback: bool = False) -> list[InterfaceAddress]:
    """Return every usable address of the interfaces that are up (loopback only if asked)."""
    found: list[InterfaceAddress] = []
    for adapter in ifaddr.get_adapters():
        if not is_up(adapter.name):
            continue
        for entry in adapter.ips:
            if isinstance(entry.ip, tuple):
                address, _flow, scope = entry.ip
            else:
                address, scope = entry.ip, 0
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                continue
            if ip.is_unspecified or ip.is_multicast or (ip.is_loopback and not include_loopback):
                continue
            name = adapter.nice_name or adapter.name
            found.append(
                InterfaceAddress(
                    name, int(adapter.index or 0), str(ip), int(entry.network_prefix), int(scope)
                )
            )
    return found


def on_local_subnet(address: str, addresses: Iterable[InterfaceAddress]) -> bool:
    """Tell whether ``address`` lies in one of our on-link prefixes."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return any(ip.version == a.ip.version and ip in a.network for a in addresses)


def default_gateways(proc: Path = Path("/proc/net")) -> list[str]:
    """Return the default gateways (IPv4 then IPv6) from /proc/net on Linux, else []."""
    gateways: list[str] = []
    try:
        for line in (proc / "route").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 2 and fields[1] == "00000000" and fields[2] != "00000000":
                gateways.append(str(ipaddress.IPv4Address(bytes.fromhex(fields[2])[::-1])))
    except (OSError, ValueError):
        pass
    try:
        for line in (proc / "ipv6_route").read_text().splitlines():
            fields = line.split()
            if len(fields) > 4 and fields[1] == "00" and int(fields[4], 16) != 0:
                gateways.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[4]))))
    except (OSError, ValueError):
        pass
    return gateways


def network_fingerprint(addresses: Iterable[InterfaceAddress], gateways: Iterable[str]) -> str:
    """Return a short stable digest of our prefixes and gateways (docs/ALEX.md "ALEX cache")."""
    parts = sorted({str(a.network) for a in addresses if not a.is_link_local})
    parts += sorted(set(gateways))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
