"""Discovery peers for the lab: dnsmasq (a test DNS zone) and avahi (mDNS) in namespaces.

`Dnsmasq` serves an authoritative-only zone (A/AAAA, SRV, NAPTR) built from
Python lists; everything under `.test` that the zone does not name gets
NXDOMAIN, and nothing is forwarded. `Avahi` runs avahi-daemon with a private
dbus-daemon inside a namespace (avahi needs the bus; the lab has no system
bus); `browse()` runs `avahi-browse -rpt` and `publish()` starts
`avahi-publish -s`. Avahi never runs in the root namespace: it would multicast
on the real card.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab import Lab, LabError, Process

AVAHI_CONF = """[server]
host-name={host}
use-ipv4=yes
use-ipv6=no
allow-interfaces={interface}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:tmpdir={tmpdir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/>
    <allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""


@dataclass(frozen=True, slots=True)
class Srv:
    """One SRV record: `_service._proto.domain` → target:port with priority and weight."""

    name: str
    target: str
    port: int
    priority: int = 10
    weight: int = 100


@dataclass(frozen=True, slots=True)
class Naptr:
    """One NAPTR record (RFC 3403) with an "S" flag pointing at an SRV name."""

    name: str
    order: int
    preference: int
    service: str
    replacement: str


class Dnsmasq:
    """An authoritative dnsmasq for the `.test` zone on `address`:`port` in `ns`."""

    def __init__(
        self,
        lab: Lab,
        ns: str | None,
        address: str,
        port: int = 53,
        hosts: Sequence[tuple[str, Sequence[str]]] = (),
        srv: Sequence[Srv] = (),
        naptr: Sequence[Naptr] = (),
    ) -> None:
        self.lab, self.ns, self.address, self.port = lab, ns, address, port
        self.workdir = lab.workdir / f"dnsmasq-{len(lab.processes)}"
        lines = [
            "no-resolv",
            "no-hosts",
            "no-poll",
            "bind-interfaces",
            "local=/test/",
            "user=root",
            "pid-file=",
            "log-queries",
            "log-facility=-",
        ]
        lines += [f"host-record={name},{','.join(addresses)}" for name, addresses in hosts]
        lines += [f"srv-host={s.name},{s.target},{s.port},{s.priority},{s.weight}" for s in srv]
        lines += [
            f"naptr-record={n.name},{n.order},{n.preference},S,{n.service},,{n.replacement}"
            for n in naptr
        ]
        self.config = "\n".join(lines) + "\n"
        self.process: Process | None = None

    @property
    def server(self) -> str:
        """The --dns-server value."""
        return f"{self.address}:{self.port}"

    def start(self, timeout: float = 120.0) -> Dnsmasq:
        """Start in the foreground and wait until it listens."""
        self.workdir.mkdir(parents=True)
        conf = self.workdir / "dnsmasq.conf"
        conf.write_text(self.config)
        argv = ["dnsmasq", "-k", f"--conf-file={conf}", f"--listen-address={self.address}"]
        argv.append(f"--port={self.port}")
        self.process = self.lab.spawn(self.ns, argv, self.workdir / "dnsmasq.log", timeout=timeout)
        self.lab.wait_listening(self.ns, "udp", self.address, self.port, timeout=10)
        return self


class Avahi:
    """avahi-daemon + private dbus-daemon in namespace `ns`, publishing on `interface`."""

    def __init__(self, lab: Lab, ns: str, interface: str = "eth0", host: str = "lab-avahi") -> None:
        self.lab, self.ns = lab, ns
        self.workdir = lab.workdir / f"avahi-{len(lab.processes)}"
        self.interface, self.host = interface, host
        self.bus: str | None = None

    def start(self, timeout: float = 120.0) -> Avahi:
        """Start the bus, then the daemon; wait for 'Server startup complete'."""
        self.workdir.mkdir(parents=True)
        (self.workdir / "dbus.conf").write_text(DBUS_CONF.format(tmpdir="/tmp"))
        (self.workdir / "avahi.conf").write_text(
            AVAHI_CONF.format(host=self.host, interface=self.interface)
        )
        bus_log = self.workdir / "dbus.log"
        dbus = ["dbus-daemon", f"--config-file={self.workdir / 'dbus.conf'}", "--nofork"]
        bus = self.lab.spawn(self.ns, [*dbus, "--print-address=2"], bus_log, timeout=timeout)
        self.bus = bus.wait_for_log(r"(unix:\S+)", timeout=10).group(1)
        argv = ["avahi-daemon", "-f", str(self.workdir / "avahi.conf")]
        argv += ["--no-chroot", "--no-drop-root", "--no-rlimits"]
        daemon = self.lab.spawn(
            self.ns, argv, self.workdir / "avahi.log", timeout=timeout, env=self.env()
        )
        daemon.wait_for_log("Server startup complete", timeout=15)
        return self

    def env(self) -> dict[str, str]:
        """Environment that points avahi tools at the private bus."""
        if self.bus is None:
            raise LabError("avahi not started")
        return {"DBUS_SYSTEM_BUS_ADDRESS": self.bus}

    def browse(self, service: str = "_sip._udp", timeout: float = 8.0) -> list[list[str]]:
        """`avahi-browse -rptk`: the resolved ("=") lines, split on ';'."""
        argv = ["timeout", f"{timeout:g}", "avahi-browse", "-rptk", service]  # -k: raw type names
        out = self.lab.spawn(
            self.ns, argv, self.workdir / f"browse-{time.monotonic_ns()}.log", env=self.env()
        )
        out.wait(timeout + 5)
        lines = out.log_text().splitlines()
        return [line.split(";") for line in lines if line.startswith("=")]

    def browse_until(
        self, predicate: object, service: str = "_sip._udp", timeout: float = 15.0
    ) -> list[str]:
        """Browse repeatedly until a resolved line satisfies `predicate` (a callable)."""
        deadline = time.monotonic() + timeout
        seen: list[list[str]] = []
        while time.monotonic() < deadline:
            seen = self.browse(service, timeout=3.0)
            for line in seen:
                if callable(predicate) and predicate(line):
                    return line
        raise LabError(f"avahi-browse never saw the service; last: {seen}")

    def publish(self, name: str, service: str, port: int, *txt: str) -> Process:
        """`avahi-publish -s NAME TYPE PORT TXT...` (runs until stopped)."""
        argv = ["avahi-publish", "-s", name, service, str(port), *txt]
        return self.lab.spawn(
            self.ns, argv, self.workdir / f"publish-{name}.log", timeout=60, env=self.env()
        )


def workdir(lab: Lab, name: str) -> Path:
    """A fresh directory inside the lab's work directory."""
    path = lab.workdir / name
    path.mkdir(parents=True, exist_ok=True)
    return path
