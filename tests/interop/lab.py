"""Network-namespace test lab: isolated LANs, NAT routers and bounded processes.

Theory of operation: a `Lab` owns every namespace and process it creates. Names
are `ap<pid>x<n>-<role>`, unique per test run, so parallel runs never collide and
a later run can delete what a killed run left behind (`sweep_stale`). Nothing is
linked to the root namespace: traffic stays inside the lab. Every process runs
under `timeout` in its own process group and is stopped by PID at `close()`,
which also deletes the namespaces, whatever the test outcome.

Topologies (drawn in docs/TESTING.md "The lab"):
- `flat_lan(n)`: hosts h1..hn on one bridge, 10.77.0.11.. and fd42:77::11..
- `nat_topology()`: LAN 1 (a1 10.0.1.2, a2 10.0.1.3) behind nat1, LAN 2 (b 10.0.2.2)
  behind nat2, both MASQUERADEd to a public bridge in `pub` (198.51.100.1 and .2,
  fd42:99::1). IPv6 is routed without NAT. The routers drop unsolicited inbound
  packets in FORWARD and INPUT; the INPUT rule keeps MASQUERADE port-preserving
  (an UNREPLIED conntrack entry from an early peer packet would remap the port).
  `move_behind` moves a host to a new LAN behind the other router mid-test (mobility).
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import itertools
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

NETNS_DIR = Path("/var/run/netns")
_NAME = re.compile(r"^ap(\d+)x(\d+)-")
_COUNTER = itertools.count(1)
_CLONE_NEWNET = 0x40000000


class LabError(AssertionError):
    """A lab step failed or timed out (an AssertionError, so pytest shows it plainly)."""


class NatMode(enum.Enum):
    """How a NAT router maps ports."""

    CONE = "cone"  # endpoint-independent mapping, address+port-dependent filtering
    SYMMETRIC = "symmetric"  # --random-fully: a new port per destination


@dataclass(frozen=True, slots=True)
class Host:
    """One namespace with its LAN (or WAN) addresses."""

    ns: str
    ipv4: str
    ipv6: str


@dataclass(frozen=True, slots=True)
class NatNet:
    """The NAT topology: two private LANs behind routers and a public segment."""

    pub: Host
    pub_ipv4_alt: str
    nat1: Host
    nat2: Host
    a1: Host
    a2: Host
    b: Host


@dataclass(slots=True)
class Process:
    """A process the lab started; stopped by PID (its whole process group)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        """PID of the `timeout` wrapper, which leads the process group."""
        return self.popen.pid

    def running(self) -> bool:
        """Tell whether the process is still alive."""
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for the process to end on its own; return its exit code."""
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{self.name} still running after {timeout} s") from exc
        self._close_log()
        return code

    def stop(self, sig: signal.Signals = signal.SIGTERM, grace: float = 3.0) -> int:
        """Signal the process group, then SIGKILL it after `grace` seconds."""
        if self.popen.poll() is None:
            _kill_group(self.pid, sig)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                _kill_group(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._close_log()
        return self.popen.returncode

    def log_text(self) -> str:
        """The process output so far (status lines ending in CR become lines)."""
        try:
            raw = self.log_path.read_bytes()
        except FileNotFoundError:
            return ""
        return raw.decode(errors="replace").replace("\r", "\n")

    def wait_for_log(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until the log matches the regular expression `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.log_text())
            if found is not None:
                return found
            if time.monotonic() > deadline or not self.running():
                tail = self.log_text()[-1500:]
                raise LabError(f"{self.name}: no /{pattern}/ in log within {timeout} s:\n{tail}")
            time.sleep(0.05)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def in_netns(ns: str | None, argv: Sequence[str]) -> list[str]:
    """The command line that runs `argv` inside namespace `ns` (None: here)."""
    return [*argv] if ns is None else ["ip", "netns", "exec", ns, *argv]


def sweep_stale() -> list[str]:
    """Delete lab namespaces whose creating process has died; return their names."""
    removed: list[str] = []
    names = [p.name for p in NETNS_DIR.iterdir()] if NETNS_DIR.is_dir() else []
    for name in names:
        match = _NAME.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        _delete_namespace(name)
        removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete_namespace(name: str) -> None:
    pids = subprocess.run(
        ["ip", "netns", "pids", name], capture_output=True, text=True, timeout=10, check=False
    ).stdout.split()
    for pid in pids:  # only processes started inside this lab namespace
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10, check=False)


class Lab:
    """Owner of the namespaces and processes of one test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.prefix = f"ap{os.getpid()}x{next(_COUNTER)}"
        self.namespaces: list[str] = []
        self.processes: list[Process] = []
        self._loss_rules: list[tuple[str, str, list[str]]] = []

    # -- processes ---------------------------------------------------------------
    def run(
        self, ns: str | None, argv: Sequence[str], timeout: float = 10.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a short command in `ns` under `timeout`; raise LabError if it fails."""
        bounded = ["timeout", "-k", "1", f"{timeout:g}", *argv]
        done = subprocess.run(
            in_netns(ns, bounded), capture_output=True, text=True, timeout=timeout + 5, check=False
        )
        if check and done.returncode != 0:
            raise LabError(
                f"[{ns}] {' '.join(argv)} -> rc {done.returncode}\n{done.stdout}{done.stderr}"
            )
        return done

    def spawn(
        self,
        ns: str | None,
        argv: Sequence[str],
        log_path: Path | None = None,
        timeout: float = 120.0,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdout_pipe: bool = False,
    ) -> Process:
        """Start `argv` in `ns` under `timeout`, output to `log_path`; stopped at close()."""
        name = f"{Path(argv[0]).name}@{ns or 'root'}"
        if log_path is None:
            log_path = self.workdir / f"{name}-{len(self.processes)}.log"
        log = log_path.open("wb")
        bounded = ["timeout", "-k", "2", f"{timeout:g}", *argv]
        popen = subprocess.Popen(
            in_netns(ns, bounded),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else log,
            stderr=log,
            env=None if env is None else {**os.environ, **env},
            cwd=cwd,
            start_new_session=True,  # own process group: killpg reaches every child
        )
        process = Process(name, popen, log_path, log)
        self.processes.append(process)
        return process

    # -- namespaces --------------------------------------------------------------
    def namespace(self, role: str) -> str:
        """Create an empty namespace with loopback up and IPv6 DAD off."""
        ns = f"{self.prefix}-{role}"
        subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=10)
        self.namespaces.append(ns)
        self.ip(ns, "link", "set", "lo", "up")
        self.sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        return ns

    def ip(self, ns: str, *args: str) -> None:
        """Run `ip -n ns ARGS`."""
        done = subprocess.run(
            ["ip", "-n", ns, *args], capture_output=True, text=True, timeout=10, check=False
        )
        if done.returncode != 0:
            raise LabError(f"ip -n {ns} {' '.join(args)}: {done.stderr.strip()}")

    def sysctl(self, ns: str, *settings: str) -> None:
        """Set sysctls inside `ns`."""
        self.run(ns, ["sysctl", "-qw", *settings])

    def bridge(self, ns: str, name: str) -> None:
        """Add a bridge (multicast snooping off, so mDNS passes) and bring it up."""
        self.ip(ns, "link", "add", name, "type", "bridge", "mcast_snooping", "0")
        self.ip(ns, "link", "set", name, "up")

    def veth(self, ns: str, name: str, peer_ns: str, peer: str, master: str | None = None) -> None:
        """Link `ns`/`name` to `peer_ns`/`peer`, optionally enslave `peer` to a bridge."""
        self.ip(ns, "link", "add", name, "type", "veth", "peer", "name", peer, "netns", peer_ns)
        if master is not None:
            self.ip(peer_ns, "link", "set", peer, "master", master)
        self.ip(peer_ns, "link", "set", peer, "up")
        self.ip(ns, "link", "set", name, "up")

    def address(self, ns: str, dev: str, *cidrs: str) -> None:
        """Add addresses (IPv6 without duplicate address detection)."""
        for cidr in cidrs:
            extra = ["nodad"] if ":" in cidr else []
            self.ip(ns, "addr", "add", cidr, "dev", dev, *extra)

    def flat_lan(self, count: int = 2) -> list[Host]:
        """N hosts on one bridge (in namespace `sw`), dual stack, no router."""
        switch = self.namespace("sw")
        self.bridge(switch, "br0")
        hosts: list[Host] = []
        for i in range(1, count + 1):
            host = Host(self.namespace(f"h{i}"), f"10.77.0.{10 + i}", f"fd42:77::{10 + i}")
            self.veth(host.ns, "eth0", switch, f"p{i}", master="br0")
            self.address(host.ns, "eth0", f"{host.ipv4}/24", f"{host.ipv6}/64")
            hosts.append(host)
        return hosts

    def nat_topology(self, mode: NatMode = NatMode.CONE, mode2: NatMode | None = None) -> NatNet:
        """Two LANs behind NAT routers and a public bridge (see the module doc)."""
        pub = Host(self.namespace("pub"), "198.51.100.1", "fd42:99::1")
        self.bridge(pub.ns, "br0")
        self.address(pub.ns, "br0", "198.51.100.1/24", "198.51.100.2/24", "fd42:99::1/64")
        nat1 = self._router("nat1", "11", pub.ns)
        nat2 = self._router("nat2", "12", pub.ns)
        self.ip(nat1.ns, "link", "add", "brlan", "type", "bridge", "mcast_snooping", "0")
        self.ip(nat1.ns, "link", "set", "brlan", "up")
        self.address(nat1.ns, "brlan", "10.0.1.1/24", "fd42:1::1/64")
        a1 = self._lan_host("a1", nat1.ns, "brlan", "10.0.1.2", "fd42:1::2", 1)
        a2 = self._lan_host("a2", nat1.ns, "brlan", "10.0.1.3", "fd42:1::3", 1)
        b = self._lan_host("b", nat2.ns, None, "10.0.2.2", "fd42:2::2", 2)
        self.address(nat2.ns, "p-b", "10.0.2.1/24", "fd42:2::1/64")
        # IPv6 is routed between the LANs through the routers' public addresses.
        self.ip(nat1.ns, "-6", "route", "add", "fd42:2::/64", "via", "fd42:99::12")
        self.ip(nat2.ns, "-6", "route", "add", "fd42:1::/64", "via", "fd42:99::11")
        self.ip(pub.ns, "-6", "route", "add", "fd42:1::/64", "via", "fd42:99::11")
        self.ip(pub.ns, "-6", "route", "add", "fd42:2::/64", "via", "fd42:99::12")
        self._masquerade(nat1.ns, mode)
        self._masquerade(nat2.ns, mode2 or mode)
        return NatNet(pub, "198.51.100.2", nat1, nat2, a1, a2, b)

    def _router(self, role: str, wan_suffix: str, pub_ns: str) -> Host:
        router = Host(self.namespace(role), f"198.51.100.{wan_suffix}", f"fd42:99::{wan_suffix}")
        self.veth(router.ns, "wan0", pub_ns, f"p-{role}", master="br0")
        self.address(router.ns, "wan0", f"{router.ipv4}/24", f"{router.ipv6}/64")
        self.sysctl(router.ns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        return router

    def _lan_host(
        self, role: str, router: str, bridge: str | None, ipv4: str, ipv6: str, lan: int
    ) -> Host:
        host = Host(self.namespace(role), ipv4, ipv6)
        self.veth(host.ns, "eth0", router, f"p-{role}", master=bridge)
        self.address(host.ns, "eth0", f"{ipv4}/24", f"{ipv6}/64")
        self.ip(host.ns, "route", "add", "default", "via", f"10.0.{lan}.1")
        self.ip(host.ns, "-6", "route", "add", "default", "via", f"fd42:{lan}::1")
        return host

    def move_behind(self, net: NatNet, host: Host, router: Host, lan: int = 3) -> Host:
        """Mobility in `net`: `host` leaves its LAN (eth0 down, as when Wi-Fi goes off) for a
        new uplink eth1 on LAN `lan` behind `router` (10.0.<lan>.2, fd42:<lan>::2) while the
        processes inside keep running. The router MASQUERADEs whatever leaves wan0 and
        forwards from its LAN side, so the new subnet reaches the public side from the
        router's address; IPv6 to the new prefix is routed like the other LANs'. Returns the
        host on its new addresses (same namespace)."""
        role = host.ns.removeprefix(f"{self.prefix}-")
        moved = Host(host.ns, f"10.0.{lan}.2", f"fd42:{lan}::2")
        gateway4, gateway6 = f"10.0.{lan}.1", f"fd42:{lan}::1"
        self.veth(host.ns, "eth1", router.ns, f"p-{role}m")
        self.address(router.ns, f"p-{role}m", f"{gateway4}/24", f"{gateway6}/64")
        for other in (net.pub, net.nat1, net.nat2):
            if other.ns != router.ns:
                self.ip(other.ns, "-6", "route", "replace", f"fd42:{lan}::/64", "via", router.ipv6)
        self.ip(host.ns, "link", "set", "eth0", "down")  # also flushes eth0's IPv6 address
        self.address(host.ns, "eth1", f"{moved.ipv4}/24", f"{moved.ipv6}/64")
        self.ip(host.ns, "route", "replace", "default", "via", gateway4)
        self.ip(host.ns, "-6", "route", "replace", "default", "via", gateway6)
        return moved

    def _masquerade(self, ns: str, mode: NatMode) -> None:
        extra = ["--random-fully"] if mode is NatMode.SYMMETRIC else []
        rules = [
            ["-t", "nat", "-A", "POSTROUTING", "-o", "wan0", "-j", "MASQUERADE", *extra],
            [
                "-A",
                "FORWARD",
                "-i",
                "wan0",
                "-m",
                "conntrack",
                "--ctstate",
                "ESTABLISHED,RELATED",
                "-j",
                "ACCEPT",
            ],
            ["-A", "FORWARD", "-i", "wan0", "-j", "DROP"],
            [
                "-A",
                "INPUT",
                "-i",
                "wan0",
                "-m",
                "conntrack",
                "--ctstate",
                "ESTABLISHED,RELATED",
                "-j",
                "ACCEPT",
            ],
            ["-A", "INPUT", "-i", "wan0", "-p", "icmp", "-j", "ACCEPT"],
            ["-A", "INPUT", "-i", "wan0", "-j", "DROP"],
        ]
        for rule in rules:
            self.run(ns, ["iptables", *rule])

    # -- impairment --------------------------------------------------------------
    def add_loss(self, ns: str, percent: float, chains: Sequence[str] = ("FORWARD",)) -> None:
        """Drop `percent` % of packets at random in `chains` (IPv4 and IPv6); no netem here."""
        spec = [
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            f"{percent / 100:.4f}",
            "-j",
            "DROP",
        ]
        for tool in ("iptables", "ip6tables"):
            for chain in chains:
                self.run(ns, [tool, "-I", chain, "1", *spec])
                self._loss_rules.append((ns, tool, [chain, *spec]))

    def clear_loss(self, ns: str) -> None:
        """Remove the loss rules added to `ns`."""
        for rule_ns, tool, rule in [r for r in self._loss_rules if r[0] == ns]:
            self.run(rule_ns, [tool, "-D", *rule])
            self._loss_rules.remove((rule_ns, tool, rule))

    # -- sockets and readiness ---------------------------------------------------
    def socket(
        self, ns: str, family: socket.AddressFamily, kind: socket.SocketKind, proto: int = 0
    ) -> socket.socket:
        """A socket that lives in namespace `ns` (usable from any thread)."""
        box: list[socket.socket | BaseException] = []
        worker = threading.Thread(target=_make_socket, args=(ns, family, kind, box, proto))
        worker.start()
        worker.join(5)
        if not box:
            raise LabError(f"could not enter namespace {ns}")
        if isinstance(box[0], BaseException):
            raise LabError(f"socket in {ns}: {box[0]}")
        return box[0]

    def wait_listening(
        self, ns: str | None, proto: str, ip: str, port: int, timeout: float
    ) -> None:
        """Wait until something listens on proto ("udp"/"tcp") ip:port inside `ns`."""
        want = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        flag = "-lnu" if proto == "udp" else "-lnt"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.run(ns, ["ss", "-H", flag], check=False).stdout
            if any(want in line.split() for line in out.splitlines()):
                return
            time.sleep(0.1)
        raise LabError(f"nothing listens on {proto} {want} in {ns} after {timeout} s")

    # -- teardown ----------------------------------------------------------------
    def log_tails(self, chars: int = 2000) -> str:
        """The end of every process log, for failure reports."""
        parts = [
            f"--- {p.name} (pid {p.pid}) {p.log_path}\n{p.log_text()[-chars:]}"
            for p in self.processes
        ]
        return "\n".join(parts)

    def close(self) -> None:
        """Stop every process by PID, then delete every namespace (never raises)."""
        for process in reversed(self.processes):
            try:
                process.stop()
            except (OSError, subprocess.SubprocessError):
                _kill_group(process.pid, signal.SIGKILL)
        for ns in reversed(self.namespaces):
            _delete_namespace(ns)
        self.namespaces.clear()


def _make_socket(
    ns: str,
    family: socket.AddressFamily,
    kind: socket.SocketKind,
    box: list[socket.socket | BaseException],
    proto: int = 0,
) -> None:
    # setns() moves only this short-lived thread; the socket keeps the namespace.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(NETNS_DIR / ns, os.O_RDONLY)
        try:
            if libc.setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")
        finally:
            os.close(fd)
        box.append(socket.socket(family, kind, proto))
    except OSError as exc:
        box.append(exc)
