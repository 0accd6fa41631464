"""Our own CLI as a lab peer: `python -m alexphone ... --json`, events read live.

One `Alexphone` is one identity (its own profile directory and XDG dirs) and
runs one process at a time: `daemon()` or `start_call()`; `run_call()` is the
synchronous form returning (exit code, events). stdout carries the JSON-lines
event contract (docs/ARCHITECTURE.md "Events"): `{"ts": ..., "event": "ua.ready", ...}`;
a reader thread appends each event to an `EventLog`, so `wait_event` never
sleeps blindly. Anything on stdout that is not JSON is kept in `noise`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from lab import Lab, LabError, Process
from lab_peers import Event, EventLog

APP_DIR = Path(__file__).resolve().parents[2] / "app"


class Alexphone:
    """One alexphone identity that the lab runs as `daemon` or `call`.

    Options follow the subcommand: `alexphone daemon --json --profile P --listen L ...`.
    `audio_in`/`audio_out` add --audio-in/--audio-out (e.g. "tone:440", "null");
    `mdns=False` (the default in the root namespace) adds --no-mdns.
    """

    def __init__(
        self,
        lab: Lab,
        ns: str | None,
        name: str = "alexphone",
        listen: Sequence[str] = (),
        args: Sequence[str] = (),
        audio_in: str | None = None,
        audio_out: str | None = None,
        mdns: bool | None = None,
        program: Sequence[str] | None = None,
    ) -> None:
        self.lab, self.ns, self.name = lab, ns, name
        self.home = lab.workdir / name
        self.profile = self.home / "profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.program = list(program) if program else [sys.executable, "-m", "alexphone"]
        common = ["--profile", str(self.profile)]
        for uri in listen:
            common += ["--listen", uri]
        if audio_in is not None:
            common += ["--audio-in", audio_in]
        if audio_out is not None:
            common += ["--audio-out", audio_out]
        # In the root namespace mDNS would multicast on the real card: off unless asked.
        if not (mdns if mdns is not None else ns is not None):
            common.append("--no-mdns")
        self.common = [*common, *args]
        self.process: Process | None = None
        self.events = EventLog()
        self.noise: list[str] = []

    def password_file(self, password: str, name: str = "password") -> Path:
        """Write a 0600 password file for --password-file (``name``: one per account)."""
        path = self.home / name
        path.write_text(password)
        path.chmod(0o600)
        return path

    def env(self) -> dict[str, str]:
        """Environment: our package on PYTHONPATH, private XDG dirs, unbuffered output."""
        path = os.pathsep.join(p for p in (str(APP_DIR), os.environ.get("PYTHONPATH")) if p)
        env = {"PYTHONPATH": path, "PYTHONUNBUFFERED": "1", "HOME": str(self.home)}
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(self.home / var.lower())
        return env

    def start(self, command: str, *args: str, timeout: float = 120.0) -> Alexphone:
        """Run `alexphone COMMAND ARGS --json [common options]` with a live event reader."""
        if self.process is not None and self.process.running():
            raise LabError(f"{self.name} already runs pid {self.process.pid}")
        argv = [*self.program, command, *args, "--json", *self.common]
        log = self.home / f"{command}-{len(self.lab.processes)}.stderr.log"
        self.events, self.noise = EventLog(), []
        self.process = self.lab.spawn(
            self.ns, argv, log, timeout=timeout, env=self.env(), stdout_pipe=True
        )
        stdout = self.process.popen.stdout
        if stdout is None:
            raise LabError("no stdout pipe")
        threading.Thread(target=self._read, args=(stdout,), daemon=True).start()
        return self

    def daemon(self, *args: str, timeout: float = 120.0) -> Alexphone:
        """Start the headless phone (`alexphone daemon`)."""
        return self.start("daemon", *args, timeout=timeout)

    def start_call(self, uri: str, *args: str, duration: float = 3.0) -> Alexphone:
        """Start `alexphone call URI --duration S` without waiting for it."""
        return self.start("call", uri, "--duration", f"{duration:g}", *args)

    def run_call(
        self, uri: str, *args: str, duration: float = 3.0, timeout: float = 60.0
    ) -> tuple[int, list[Event]]:
        """Place one call and wait for the CLI to exit: (exit code, events)."""
        self.start_call(uri, *args, duration=duration)
        return self.wait_exit(timeout), self.events.snapshot()

    def wait_event(
        self,
        name: str,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float = 10.0,
        since: int = 0,
    ) -> Event:
        """First event called `name` (from position `since`) that satisfies `predicate`."""
        return self.events.wait(
            lambda e: e.get("event") == name and (predicate is None or predicate(e)),
            timeout,
            since,
            what=f"{name!r} from {self.name}; stderr: {self.stderr_tail()}",
        )

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``alexphone ctl --profile P ARGS`` in the root namespace (the socket is a file)."""
        argv = [*self.program, "ctl", "--profile", str(self.profile), *args]
        return subprocess.run(
            argv, env={**os.environ, **self.env()}, capture_output=True, text=True, timeout=30
        )

    def mark(self) -> int:
        """Position for `wait_event(since=...)` that skips the events seen so far."""
        return self.events.mark()

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit; its exit code."""
        if self.process is None:
            raise LabError(f"{self.name} not started")
        return self.process.wait(timeout)

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGINT (clean shutdown, unregister), then SIGTERM/SIGKILL by the lab."""
        if self.process is None:
            return None
        return self.process.stop(signal.SIGINT, grace=grace)

    def stderr_tail(self, chars: int = 1500) -> str:
        """The end of the current process's stderr."""
        return "" if self.process is None else self.process.log_text()[-chars:]

    def _read(self, stdout: IO[bytes]) -> None:
        for raw in stdout:
            line = raw.decode(errors="replace").strip()
            if not line:
                continue
            try:
                item = json.loads(line)
            except ValueError:
                self.noise.append(line)
                continue
            if isinstance(item, dict) and "event" in item:
                self.events.append(item)
            else:
                self.noise.append(line)
        self.events.close()
