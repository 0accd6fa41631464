"""A namespace with one veth pair and alexphone's NetworkMonitor watching it (probe program)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lab import Lab, Process
from lab_alexphone import APP_DIR

PROBE = Path(__file__).with_name("network_watch_probe.py")
CHANGED = re.compile(r"changed (\d+\.\d+) (\S+)")


class WatchedNamespace:
    """One namespace whose address changes the probe reports; ``move`` times one change."""

    def __init__(self, lab: Lab, seconds: float = 60.0, addresses: Sequence[str] = ()) -> None:
        self.lab = lab
        self.ns = lab.namespace("watch")
        lab.ip(self.ns, "link", "add", "wan0", "type", "veth", "peer", "name", "wan1")
        for dev in ("wan0", "wan1"):
            lab.ip(self.ns, "link", "set", dev, "up")
        lab.address(self.ns, "wan0", *addresses)
        env = {"PYTHONPATH": str(APP_DIR), "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, str(PROBE), f"{seconds:g}"]
        self.probe: Process = lab.spawn(self.ns, argv, env=env, timeout=seconds + 10)
        self.probe.wait_for_log(r"^(watching|polling)$", timeout=20)
        self.reports = 0

    @property
    def watching(self) -> bool:
        """True when the probe follows rtnetlink (rather than polling)."""
        return "watching" in self.probe.log_text()

    def move(self, *ip_args: str, timeout: float = 5.0) -> tuple[float, str]:
        """Run ``ip -n NS ip_args``; return (ms until the probe reported it, addresses)."""
        started = time.monotonic()
        subprocess.run(["ip", "-n", self.ns, *ip_args], check=True, capture_output=True, timeout=10)
        deadline = started + timeout
        while True:
            found = CHANGED.findall(self.probe.log_text())
            if len(found) > self.reports:
                self.reports += 1
                at, addresses = found[self.reports - 1]
                return (float(at) - started) * 1000.0, addresses
            if time.monotonic() > deadline:
                raise AssertionError(f"no change reported within {timeout} s of ip {ip_args}")
            time.sleep(0.002)

    def reported(self) -> int:
        """How many changes the probe reported so far."""
        return len(CHANGED.findall(self.probe.log_text()))
