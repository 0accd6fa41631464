"""The .deb installed for real: ``apt-get install ./alexphone_*.deb`` into a fresh Debian root
(debian_root.py: mmdebstrap, chroot), a call from the installed ``/usr/bin/alexphone`` to a
daemon from the source tree, an upgrade to a higher version with the user's profile
untouched, then ``apt-get purge`` and a list of what is left outside the home (nothing).

apt resolves the package's Depends and Recommends from the Debian mirror, as a user's
``apt install`` would; downloads are cached (debian_root.cache_dir()), so only the first run on
a machine fetches them (about 170 packages, 160 MB).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from debian_package import DebBuild
from debian_root import DebianRoot, cache_dir

ROOT = Path(__file__).resolve().parents[2]
USER = "alex"
PROFILE = f"/home/{USER}/.local/share/alexphone"
UPGRADE_VERSION = "0.1.0+upgrade1"  # sorts above every 0.1.0 build
CALL_TIMEOUT = 60.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.interop,
    pytest.mark.timeout(1500),  # a cold cache: build, mmdebstrap, 170 downloads, rebuild
    pytest.mark.needs("mmdebstrap", "dpkg-deb", "chroot", "unshare", "tar"),
]


class SourceDaemon:
    """``python -m alexphone daemon`` from this tree on loopback, answering every call."""

    def __init__(self, profile: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "app"), PYTHONUNBUFFERED="1")
        env.update(HOME=str(profile.parent), XDG_DATA_HOME=str(profile.parent / "data"))
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "alexphone", "daemon", "--json", "--profile", str(profile),
                "--listen", "udp:127.0.0.1:0", "--no-mdns", "--auto-answer",
                "--audio-in", "tone:440", "--audio-out", "null",
            ],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.events: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def listening_uri(self, timeout: float = 20.0) -> str:
        """The SIP URI of the daemon once it says ua.ready."""
        for _ in range(100):  # bounded: ua.ready comes among the first events
            event = self.events.get(timeout=timeout)
            if event.get("event") == "ua.ready":
                listen = event["listen"]
                assert isinstance(listen, list)
                return "sip:bob@" + str(listen[0]).removeprefix("udp:")
        raise AssertionError("no ua.ready among the daemon's first 100 events")

    def stop(self) -> None:
        """SIGINT by PID, then SIGKILL if it lingers."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def daemon_uri(tmp_path: Path) -> Iterator[str]:
    """A running source-tree daemon's SIP URI."""
    daemon = SourceDaemon(tmp_path / "daemon" / "profile")
    try:
        yield daemon.listening_uri()
    finally:
        daemon.stop()


@pytest.fixture
def debian_root(tmp_path: Path) -> DebianRoot:
    """A fresh Debian root with one ordinary user."""
    root = DebianRoot.create(tmp_path / "root", cache_dir())
    root.run("useradd", "--create-home", "--shell", "/bin/sh", USER)
    return root


def install(root: DebianRoot, deb: Path) -> None:
    """``sudo apt install ./X.deb`` as USER would type it (SUDO_USER gets the link handlers)."""
    inside = root.copy_in(deb, f"/tmp/{deb.name}")
    root.apt_get("update", timeout=300)
    root.apt_get("install", inside, env={"SUDO_USER": USER})


def installed_version(root: DebianRoot) -> str:
    """The version dpkg has installed of alexphone ('' when none)."""
    done = root.run("dpkg-query", "-W", "-f=${Status} ${Version}", "alexphone", check=False)
    status, _, version = done.stdout.rpartition(" ")
    return version if status == "install ok installed" else ""


def place_call(root: DebianRoot, uri: str) -> list[str]:
    """`/usr/bin/alexphone call URI` as USER with the default profile: its call states."""
    done = root.run(
        "/usr/bin/alexphone", "call", uri, "--json", "--listen", "udp:127.0.0.1:0", "--no-mdns",
        "--audio-in", "tone:440", "--audio-out", "null", "--duration", "1",
        "--timeout", "20", user=USER, timeout=CALL_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [str(e["state"]) for e in events if e.get("event") == "call.state"]


def profile_digest(root: DebianRoot) -> dict[str, str]:
    """SHA-256 of every file of USER's profile."""
    top = root.host_path(PROFILE)
    files = sorted(p for p in top.rglob("*") if p.is_file())
    assert files, f"no profile in {PROFILE}"
    return {str(p.relative_to(top)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def history_rows(root: DebianRoot, scratch: Path) -> int:
    """Calls in USER's history table, read from a copy (reading in place would add WAL files)."""
    scratch.mkdir(exist_ok=True)
    for path in root.host_path(PROFILE).glob("alexphone.db*"):
        shutil.copyfile(path, scratch / path.name)
    with sqlite3.connect(scratch / "alexphone.db") as db:
        (count,) = db.execute("SELECT count(*) FROM history").fetchone()
    return int(count)


def handler(root: DebianRoot, scheme: str) -> str:
    """USER's desktop handler for SCHEME links, as xdg-mime reports it."""
    done = root.run("xdg-mime", "query", "default", f"x-scheme-handler/{scheme}", user=USER)
    return done.stdout.strip()


def leftovers(root: DebianRoot, before: set[str], owned: set[str]) -> set[str]:
    """Paths after purge that the package left: new since its install, or its own files
    (its directories only when empty and no other package owns them)."""
    after = root.tree()
    suspects = (after - before) | (after & owned)
    left = set()
    for path in suspects:
        host = root.host_path(path)
        if host.is_dir() and not host.is_symlink():
            owner = root.run("dpkg-query", "-S", path, check=False)
            if owner.returncode == 0 or any(host.iterdir()):
                continue
        left.add(path)
    return left


def test_apt_installs_upgrades_and_purges(
    deb_build: DebBuild, debian_root: DebianRoot, daemon_uri: str, tmp_path: Path
) -> None:
    root = debian_root
    install(root, deb_build.deb)
    assert installed_version(root) == "0.1.0"
    assert {s: handler(root, s) for s in ("sip", "sips", "tel")} == dict.fromkeys(
        ("sip", "sips", "tel"), "alexphone.desktop"
    )
    installed_tree = root.tree()
    owned = set(root.run("dpkg-query", "-L", "alexphone").stdout.split())
    assert "/usr/bin/alexphone" in owned and "/opt/alexphone/alexphone" in owned

    assert "confirmed" in place_call(root, daemon_uri)
    profile = profile_digest(root)
    assert history_rows(root, tmp_path / "db-1") == 1

    newer = deb_build.repackage(UPGRADE_VERSION)
    root.apt_get("install", root.copy_in(newer, f"/tmp/{newer.name}"))
    assert installed_version(root) == UPGRADE_VERSION
    assert profile_digest(root) == profile  # the upgrade left the profile as it was
    assert "confirmed" in place_call(root, daemon_uri)
    # The upgraded program reads the old profile and adds to it.
    assert history_rows(root, tmp_path / "db-2") == 2

    root.apt_get("purge", "alexphone")
    assert installed_version(root) == ""
    assert leftovers(root, installed_tree, owned) == set()
    assert root.host_path(PROFILE).joinpath("alexphone.db").is_file()  # the home is the user's


def test_leftovers_catch_new_files_and_the_packages_own_empty_directories(
    debian_root: DebianRoot,
) -> None:
    root = debian_root
    before = root.tree()
    root.run("mkdir", "-p", "/opt/stray", "/usr/share/stray-dir")
    root.run("touch", "/etc/stray.conf")
    owned = {"/usr/bin", "/usr/share/stray-dir"}  # /usr/bin: other packages own it

    assert leftovers(root, before, owned) == {
        "/opt/stray",
        "/etc/stray.conf",
        "/usr/share/stray-dir",
    }
