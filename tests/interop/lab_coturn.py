"""coturn as the lab's STUN/TURN server (docs/TESTING.md "Real peers").

One static long-term user per `USERS` entry in realm lab.test, a private user database
file (coturn would otherwise open a system one), no TLS/DTLS/CLI, a small relay port range.
On 127.0.0.1 coturn refuses loopback peers unless `--allow-loopback-peers` is given, so
`Coturn` adds it whenever it listens on loopback. It runs under `timeout` in the lab's
process group and is stopped by PID when the lab closes.
"""

from __future__ import annotations

from lab import Lab, Process
from lab_peers import DOMAIN, USERS, hostport

TURN_PORT = 3478


class Coturn:
    """turnserver on one address of a namespace: STUN on `server`, TURN for `USERS`."""

    def __init__(
        self, lab: Lab, ns: str | None, ip: str, port: int = TURN_PORT, min_port: int = 49160
    ) -> None:
        self.lab, self.ns, self.ip, self.port = lab, ns, ip, port
        self.min_port = min_port
        self.workdir = lab.workdir / f"coturn-{len(lab.processes)}"
        self.process: Process | None = None

    @property
    def server(self) -> str:
        """`ip:port` for --stun."""
        return hostport(self.ip, self.port)

    @property
    def uri(self) -> str:
        """`turn:ip:port` for --turn."""
        return f"turn:{self.server}"

    def start(self, timeout: float = 120.0) -> Coturn:
        """Start in the foreground and wait until it listens on UDP."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            "turnserver", "-n", f"--listening-ip={self.ip}", f"--relay-ip={self.ip}",
            f"--listening-port={self.port}", f"--min-port={self.min_port}",
            f"--max-port={self.min_port + 40}", "--lt-cred-mech", f"--realm={DOMAIN}",
            "--no-tls", "--no-dtls", "--no-cli", "--fingerprint",
            f"--userdb={self.workdir / 'turndb'}", "--simple-log", "--log-file=stdout",
            f"--pidfile={self.workdir / 'turn.pid'}",
        ]  # fmt: skip
        argv += [f"--user={user}:{password}" for user, password in USERS.items()]
        if self.ip.startswith("127.") or self.ip == "::1":
            argv.append("--allow-loopback-peers")
        log = self.workdir / "turnserver.log"
        self.process = self.lab.spawn(self.ns, argv, log, timeout=timeout)
        self.lab.wait_listening(self.ns, "udp", self.ip, self.port, timeout=15)
        return self

    def log_text(self) -> str:
        """coturn's log so far."""
        return "" if self.process is None else self.process.log_text()
