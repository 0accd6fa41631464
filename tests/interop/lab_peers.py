"""Third-party SIP peers for the lab: Kamailio, SIPp and baresip.

Each peer is configured in its constructor, started with `start()` (which waits
until it listens) and stopped by the `Lab` that spawned it. Gotchas these
classes encode: SIPp never runs with `-bg` (it would escape `timeout`) and needs
`-nostdin`; baresip loads no `stdio.so` (no tty), gets an empty contacts file
and needs an 8 kHz mono WAV (`tone_wav`) as source for G.711 calls; db_text
needs the nullable `ha1`/`ha1b` columns and a private copy of its tables.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import Lab, LabError, Process

DOMAIN = "lab.test"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw"}
KAMAILIO_DIR = Path(__file__).resolve().parent / "kamailio"

Event = dict[str, Any]


def hostport(ip: str, port: int) -> str:
    """`ip:port`, with brackets around IPv6 addresses."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


class EventLog:
    """Thread-safe list of JSON events that tests can wait on."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._cond = threading.Condition()
        self.closed = False

    def append(self, event: Event) -> None:
        """Record one event and wake the waiters."""
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def close(self) -> None:
        """Mark the source as finished (waiters stop early)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def mark(self) -> int:
        """Position to pass as `since` to ignore the events seen so far."""
        with self._cond:
            return len(self._events)

    def snapshot(self) -> list[Event]:
        """A copy of every event so far."""
        with self._cond:
            return list(self._events)

    def wait(
        self, predicate: Callable[[Event], bool], timeout: float, since: int = 0, what: str = ""
    ) -> Event:
        """The first event from position `since` on that matches; LabError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self._events[since:]:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    seen = "\n".join(json.dumps(e) for e in self._events[-15:])
                    state = "source closed" if self.closed else f"{timeout} s"
                    raise LabError(f"no event {what} ({state}); last events:\n{seen}")
                self._cond.wait(min(left, 0.5))


# -- Kamailio ---------------------------------------------------------------------------
class Kamailio:
    """Registrar + proxy for lab.test with digest auth (users in `USERS`)."""

    def __init__(
        self,
        lab: Lab,
        ns: str | None,
        addresses: Sequence[str],
        port: int = 5060,
        transports: Sequence[str] = ("udp", "tcp"),
        tls_port: int | None = None,
        alex_bypass: bool = False,
        extra_users: Mapping[str, str] | None = None,
    ) -> None:
        self.lab, self.ns, self.port, self.tls_port = lab, ns, port, tls_port
        self.extra_users = dict(extra_users or {})  # user -> password, beside `USERS`
        self.alex_bypass = alex_bypass  # consent: docs/ALEX.md "Signaling bypass"
        self.addresses, self.transports = list(addresses), list(transports)
        self.workdir = lab.workdir / f"kamailio-{len(lab.processes)}"
        self.process: Process | None = None

    @property
    def uri(self) -> str:
        """SIP URI of the first listening address (for --proxy / outbound)."""
        return f"sip:{hostport(self.addresses[0], self.port)}"

    def start(self, timeout: float = 120.0) -> Kamailio:
        """Start in the foreground on every address/transport and wait until it listens."""
        shutil.copytree(KAMAILIO_DIR / "dbtext", self.workdir / "dbtext")
        with (self.workdir / "dbtext" / "subscriber").open("a") as table:
            for row, (user, password) in enumerate(self.extra_users.items(), start=100):
                table.write(f"{row}:{user}:{DOMAIN}:{password}::\n")
        (self.workdir / "run").mkdir()
        argv = ["kamailio", "-f", str(KAMAILIO_DIR / "kamailio.cfg"), "-DD", "-E"]
        argv += ["-Y", str(self.workdir / "run"), "-A", f'DBURL="text://{self.workdir}/dbtext"']
        for proto in self.transports:
            for ip in self.addresses:
                argv += ["-l", f"{proto}:{hostport(ip, self.port)}"]
        if self.alex_bypass:
            argv += ["-A", "WITH_ALEX_BYPASS"]
        if self.tls_port is not None:
            argv += ["-A", "WITH_TLS", "-A", f'TLSCFG="{self._tls_config()}"']
            argv += ["-l", f"tls:{hostport(self.addresses[0], self.tls_port)}"]
        log = self.workdir / "kamailio.log"
        self.process = self.lab.spawn(self.ns, argv, log, timeout=timeout)
        for proto in self.transports:
            for ip in self.addresses:
                self.lab.wait_listening(self.ns, proto, ip, self.port, timeout=15)
        if self.tls_port is not None:
            self.lab.wait_listening(self.ns, "tcp", self.addresses[0], self.tls_port, timeout=15)
        return self

    @property
    def certificate(self) -> Path:
        """The self-signed certificate (CN and SAN lab.test) its TLS listener presents."""
        return self.workdir / "cert.pem"

    def _tls_config(self) -> Path:
        """Make a certificate for lab.test and the first address, and Kamailio's tls.cfg."""
        key = self.workdir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(key), "-out", str(self.certificate), "-subj", f"/CN={DOMAIN}",
             "-addext", f"subjectAltName=DNS:{DOMAIN},IP:{self.addresses[0]}"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        config = self.workdir / "tls.cfg"
        config.write_text(
            "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
            f"require_certificate = no\nprivate_key = {key}\ncertificate = {self.certificate}\n"
            "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
            "require_certificate = no\n"
        )
        return config

    def log_text(self) -> str:
        """Kamailio's log so far."""
        return "" if self.process is None else self.process.log_text()

    def registered(self, user: str) -> bool:
        """Tell whether the last registrar event for user@lab.test left a binding."""
        aor = re.escape(f"sip:{user}@{DOMAIN}")
        states = re.findall(rf"LAB-(REGISTERED|UNREGISTERED) {aor}\b", self.log_text())
        return bool(states) and states[-1] == "REGISTERED"

    def bindings(self, user: str) -> list[int]:
        """How many contacts user@lab.test held after each of its successful REGISTERs."""
        aor = re.escape(f"sip:{user}@{DOMAIN}")
        return [int(n) for n in re.findall(rf"LAB-BINDINGS {aor} (\d+)", self.log_text())]

    def wait_bindings(self, user: str, reports_before: int, timeout: float = 5.0) -> int:
        """Wait for a LAB-BINDINGS report after the first `reports_before`; its count."""
        deadline = time.monotonic() + timeout
        while len(counts := self.bindings(user)) <= reports_before:
            if time.monotonic() > deadline:
                raise LabError(f"no new binding report for {user}:\n{self.log_text()[-2000:]}")
            time.sleep(0.05)
        return counts[-1]

    def wait_registered(self, user: str, timeout: float = 10.0) -> None:
        """Wait until `registered(user)` holds."""
        deadline = time.monotonic() + timeout
        while not self.registered(user):
            if time.monotonic() > deadline:
                raise LabError(
                    f"{user} not registered after {timeout} s:\n{self.log_text()[-2000:]}"
                )
            time.sleep(0.05)

    def challenges(self, user: str | None = None) -> int:
        """How many digest challenges (401/407) were sent, for one user or all."""
        name = re.escape(user) if user else r"\S*"
        return len(re.findall(rf"LAB-CHALLENGE {name} ", self.log_text()))

    def events(self) -> list[str]:
        """The LAB-* lines of the log, in order, without the log prefix."""
        return re.findall(r"(LAB-[A-Z]+ [^\n]*)", self.log_text())


# -- SIPp -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SippResult:
    """Outcome of one SIPp run."""

    returncode: int
    successful: int
    failed: int

    @property
    def ok(self) -> bool:
        """Exit code 0 (every call succeeded) and at least one call."""
        return self.returncode == 0 and self.successful > 0 and self.failed == 0


class Sipp:
    """SIPp with a built-in scenario (`uac` calls `target`, `uas` answers)."""

    def __init__(
        self,
        lab: Lab,
        ns: str | None,
        scenario: str,
        local_ip: str,
        local_port: int,
        target: str | None = None,
        calls: int = 1,
        rate: float = 10.0,
        limit: int = 10,
        service: str = "service",
        call_ms: int = 0,
        run_timeout_s: int = 20,
        extra: Sequence[str] = (),
    ) -> None:
        if scenario not in {"uac", "uas"} or (scenario == "uac") != (target is not None):
            raise ValueError("scenario uac needs a target, uas takes none")
        self.lab, self.ns, self.scenario = lab, ns, scenario
        self.workdir = lab.workdir / f"sipp-{scenario}-{len(lab.processes)}"
        argv = ["sipp", "-sn", scenario, *([target] if target else [])]
        argv += ["-i", local_ip, "-p", str(local_port), "-m", str(calls), "-nostdin"]
        argv += ["-timeout", f"{run_timeout_s}s", "-timeout_error"]
        argv += ["-trace_stat", "-stf", "stat.csv", "-fd", "1", "-trace_err"]
        if scenario == "uac":
            argv += ["-r", f"{rate:g}", "-l", str(limit), "-s", service, "-d", str(call_ms)]
        self.argv = [*argv, *extra]
        self.process: Process | None = None

    def start(self, timeout: float = 60.0) -> Sipp:
        """Start SIPp (a uas is ready once its UDP port is bound)."""
        self.workdir.mkdir()
        log = self.workdir / "sipp.log"
        self.process = self.lab.spawn(self.ns, self.argv, log, timeout=timeout, cwd=self.workdir)
        if self.scenario == "uas":
            ip, port = self.argv[self.argv.index("-i") + 1], self.argv[self.argv.index("-p") + 1]
            proto = "tcp" if any(a in ("t1", "tn") for a in self.argv) else "udp"
            self.lab.wait_listening(self.ns, proto, ip, int(port), timeout=10)
        return self

    def wait(self, timeout: float = 60.0) -> SippResult:
        """Wait for SIPp to finish and count its calls from the -trace_stat file."""
        if self.process is None:
            raise LabError("sipp not started")
        code = self.process.wait(timeout)
        successful, failed = self._counts()
        return SippResult(code, successful, failed)

    def _counts(self) -> tuple[int, int]:
        path = self.workdir / "stat.csv"
        if not path.exists():
            return 0, 0
        rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
        if len(rows) < 2:
            return 0, 0
        columns = dict(zip(rows[0], rows[-1], strict=False))
        return int(columns.get("SuccessfulCall(C)", 0)), int(columns.get("FailedCall(C)", 0))


# -- baresip ----------------------------------------------------------------------------
def tone_wav(path: Path, seconds: float = 60.0, hz: float = 440.0, rate: int = 8000) -> Path:
    """Write a mono 16-bit sine WAV (8 kHz: the source baresip needs for G.711)."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


def baresip_account(
    user: str,
    domain: str = DOMAIN,
    password: str | None = None,
    outbound: str | None = None,
    regint: int = 0,
    answermode: str = "auto",
    codecs: str = "opus/48000/2,PCMU",
) -> str:
    """One line of baresip's `accounts` file (regint=0: no REGISTER)."""
    line = f"<sip:{user}@{domain}>;regint={regint};answermode={answermode};audio_codecs={codecs}"
    if password is not None:
        line += f";auth_pass={password}"
    if outbound is not None:
        line += f';outbound="{outbound}"'
    return line


class Baresip:
    """A headless baresip, scripted through ctrl_tcp on the namespace's 127.0.0.1."""

    MODULES = ("opus", "g711", "ausine", "aufile", "alsa", "sndfile", "ctrl_tcp")

    def __init__(
        self,
        lab: Lab,
        ns: str | None,
        account: str,
        listen: str | None = None,
        audio_source: str = "ausine,440",
        ctrl_port: int = 4444,
        sip_cafile: Path | None = None,
        extra_modules: Sequence[str] = (),
        audio_player: str = "alsa,null",
        config: Sequence[str] = (),
    ) -> None:
        """``config``: more lines for baresip's config file, e.g. "rtcp_mux yes"."""
        self.lab, self.ns, self.ctrl_port = lab, ns, ctrl_port
        self.audio_player = audio_player  # e.g. "alsa,pulse": a paced sink (lab_pulse.py)
        self.extra_config = tuple(config)
        self.listen = listen
        self.modules = (*self.MODULES, *extra_modules)  # e.g. "srtp" for mediaenc=srtp-mand
        self.config_dir = lab.workdir / f"baresip-{len(lab.processes)}"
        self._write_config(account, audio_source, sip_cafile)
        self.process: Process | None = None
        self.ctrl: BaresipCtrl | None = None

    def _write_config(self, account: str, audio_source: str, cafile: Path | None) -> None:
        dump = self.config_dir / "dump"
        dump.mkdir(parents=True)
        lines = ["poll_method epoll", "call_local_timeout 30", "call_max_calls 4"]
        if self.listen:
            lines.append(f"sip_listen {self.listen}")
        lines += [f"audio_player {self.audio_player}", "audio_alert alsa,null"]
        lines += [f"audio_source {audio_source}"]
        lines += ["audio_buffer 20-160", "jitter_buffer_delay 5-10", "rtp_stats yes"]
        lines += ["module_path /usr/lib/baresip/modules"]
        lines += [f"module {m}.so" for m in self.modules]
        lines += ["module_tmp uuid.so", "module_tmp account.so", "module_app menu.so"]
        lines += [f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}", f"snd_path {dump}"]
        if cafile is not None:
            lines.append(f"sip_cafile {cafile}")
        lines += self.extra_config
        (self.config_dir / "config").write_text("\n".join(lines) + "\n")
        (self.config_dir / "accounts").write_text(account + "\n")
        (self.config_dir / "contacts").write_text("")  # not the template's public contacts

    def start(self, timeout: float = 120.0) -> Baresip:
        """Start baresip and connect to its control port."""
        argv = ["baresip", "-f", str(self.config_dir)]
        log = self.config_dir / "baresip.log"
        self.process = self.lab.spawn(self.ns, argv, log, timeout=timeout)
        self.lab.wait_listening(self.ns, "tcp", "127.0.0.1", self.ctrl_port, timeout=15)
        self.ctrl = BaresipCtrl(self.lab, self.ns, self.ctrl_port)
        return self

    def _control(self) -> BaresipCtrl:
        if self.ctrl is None:
            raise LabError("baresip not started")
        return self.ctrl

    def dial(self, uri: str) -> Event:
        """Place a call."""
        return self._control().command("dial", uri)

    def hangup(self) -> Event:
        """Hang up the current call."""
        return self._control().command("hangup")

    def wait_event(self, kind: str, timeout: float = 10.0, since: int = 0) -> Event:
        """Wait for a ctrl_tcp event such as CALL_ESTABLISHED or CALL_CLOSED."""
        return self._control().events.wait(
            lambda e: e.get("type") == kind, timeout, since, what=kind
        )

    def log_text(self) -> str:
        """baresip's console output so far."""
        return "" if self.process is None else self.process.log_text()

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """Wait until baresip's console output matches `pattern`."""
        if self.process is None:
            raise LabError("baresip not started")
        return self.process.wait_for_log(pattern, timeout)

    def quit(self) -> None:
        """Ask baresip to quit and close the control connection."""
        if self.ctrl is not None:
            try:
                self.ctrl.send("quit")
            finally:
                self.ctrl.close()
        if self.process is not None:
            try:
                self.process.wait(5)
            except LabError:
                self.process.stop()


class BaresipCtrl:
    """Client for baresip's ctrl_tcp: netstring-framed JSON commands and events."""

    def __init__(self, lab: Lab, ns: str | None, port: int, timeout: float = 5.0) -> None:
        if ns is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        else:
            self.sock = lab.socket(ns, socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.events = EventLog()
        self.responses = EventLog()
        self._tokens = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, command: str, params: str = "") -> str:
        """Send one command; return its token."""
        self._tokens += 1
        token = f"t{self._tokens}"
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        return token

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> Event:
        """Send a command and wait for its response."""
        token = self.send(command, params)
        return self.responses.wait(lambda r: r.get("token") == token, timeout, what=command)

    def close(self) -> None:
        """Close the connection (the reader thread then ends)."""
        self.sock.close()

    def _read(self) -> None:
        buf = bytearray()
        while True:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            for message in _netstrings(buf):
                try:
                    item = json.loads(message)
                except ValueError:
                    continue
                (self.events if item.get("event") else self.responses).append(item)
        self.events.close()
        self.responses.close()


def _netstrings(buf: bytearray) -> list[bytes]:
    """Remove and return the complete netstrings at the start of `buf`."""
    out: list[bytes] = []
    while (colon := buf.find(b":")) > 0:
        size = int(buf[:colon])
        end = colon + 1 + size
        if len(buf) < end + 1:
            break
        out.append(bytes(buf[colon + 1 : end]))
        del buf[: end + 1]
    return out
