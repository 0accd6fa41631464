"""The Debian package: build it with installers/linux/build_deb.sh, unpack it into a throwaway
root with ``dpkg -x`` (never into the system) and run the bundled program from there.

One build (PyInstaller + dpkg-deb, 35-100 s; conftest's ``deb_build``) serves every package
test of the run. Installing it for real with apt is test_deb_apt.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from debian_package import DebBuild

ROOT = Path(__file__).resolve().parents[2]
ICON_SIZES = (16, 32, 48, 64, 128, 256)
RUN_TIMEOUT = 30.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),  # the first test waits for the shared build
    pytest.mark.interop,
    pytest.mark.needs("dpkg-deb", "dpkg", "ldd", "unshare", "xvfb-run"),
]


class Package:
    """A built .deb and the throwaway root it was unpacked into."""

    def __init__(self, deb: Path, root: Path, home: Path) -> None:
        self.deb = deb
        self.root = root
        self.home = home

    @property
    def program(self) -> Path:
        """The bundled executable."""
        return self.root / "opt" / "alexphone" / "alexphone"

    def env(self, **extra: str) -> dict[str, str]:
        """An environment that keeps the program's files inside the test's home."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "QT_"))}
        env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"))
        env.update(XDG_DATA_HOME=str(self.home / ".local" / "share"), **extra)
        return env

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run the bundled program to completion (offscreen Qt)."""
        return subprocess.run(
            [str(self.program), *args],
            env=self.env(QT_QPA_PLATFORM="offscreen", **extra),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            cwd=self.home,
            check=False,
        )


@pytest.fixture(scope="module")
def package(deb_build: DebBuild, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    """The run's .deb unpacked with dpkg -x."""
    work = tmp_path_factory.mktemp("deb")
    root = work / "root"
    subprocess.run(["dpkg", "-x", str(deb_build.deb), str(root)], check=True, timeout=RUN_TIMEOUT)
    home = work / "home"
    home.mkdir()
    yield Package(deb_build.deb, root, home)


def _dpkg_deb(flag: str, deb: Path) -> str:
    return subprocess.run(
        ["dpkg-deb", flag, str(deb)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_control_names_the_runtime_libraries(package: Package) -> None:
    info = _dpkg_deb("-I", package.deb)
    assert re.search(r"^ Package: alexphone$", info, re.MULTILINE)
    depends = re.search(r"^ Depends: (.*)$", info, re.MULTILINE)
    assert depends is not None
    names = {alt.strip().split(" ")[0] for dep in depends[1].split(",") for alt in dep.split("|")}
    wanted = {"libopus0", "libportaudio2", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"}
    assert wanted <= names
    assert " postinst" in info and " postrm" in info


def test_maintainer_scripts_never_fail(package: Package, tmp_path: Path) -> None:
    subprocess.run(["dpkg-deb", "-e", str(package.deb), str(tmp_path)], check=True, timeout=60)
    postinst = (tmp_path / "postinst").read_text()
    assert "update-desktop-database" in postinst and "x-scheme-handler/$scheme" in postinst
    for script in ("postinst", "postrm"):
        subprocess.run(["sh", "-n", str(tmp_path / script)], check=True, timeout=10)
        # Run for real with no desktop tools on PATH: must still succeed.
        done = subprocess.run(
            ["/bin/sh", str(tmp_path / script), "configure"],
            env={"PATH": str(tmp_path / "empty")},
            capture_output=True,
            timeout=10,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def test_files_land_where_the_desktop_looks(package: Package) -> None:
    listing = _dpkg_deb("-c", package.deb)
    assert re.search(r"\./usr/bin/alexphone -> \.\./\.\./opt/alexphone/alexphone$", listing, re.M)
    for path in (
        "./opt/alexphone/alexphone",
        "./usr/share/applications/alexphone.desktop",
        "./usr/share/icons/hicolor/scalable/apps/alexphone.svg",
        "./opt/alexphone/_internal/share/alexphone/sounds/ringtone.wav",
        "./opt/alexphone/_internal/share/alexphone/icons/alexphone-256.png",
        *(f"./usr/share/icons/hicolor/{s}x{s}/apps/alexphone.png" for s in ICON_SIZES),
    ):
        assert re.search(rf"\s{re.escape(path)}$", listing, re.MULTILINE), path
    desktop = (package.root / "usr/share/applications/alexphone.desktop").read_text()
    assert "x-scheme-handler/sip;" in desktop and "Exec=alexphone %u" in desktop


def test_bundle_leaves_system_libraries_and_unused_qt_out(package: Package) -> None:
    bundle = package.root / "opt" / "alexphone"
    names = {p.name for p in bundle.rglob("*.so*")}
    for prefix in ("libportaudio", "libasound", "libopus", "libxcb", "libX11", "libstdc++"):
        assert not any(n.startswith(prefix) for n in names), prefix
    assert "libqxcb.so" in names and "libqwayland.so" in names
    assert not any(n.startswith(("QtQml.", "QtQuick.", "QtMultimedia.")) for n in names)


def test_qt_plugins_resolve_against_the_system(package: Package) -> None:
    plugins = package.root / "opt/alexphone/_internal/PySide6/Qt/plugins/platforms"
    for plugin in ("libqxcb.so", "libqoffscreen.so"):
        linked = subprocess.run(
            ["ldd", str(plugins / plugin)], capture_output=True, text=True, check=True, timeout=30
        ).stdout
        assert "not found" not in linked, linked


def test_help_runs_from_the_unpacked_root(package: Package) -> None:
    done = package.run("--help")
    assert done.returncode == 0, done.stderr
    for command in ("daemon", "call", "gui", "addresses"):
        assert command in done.stdout


def test_addresses_match_the_source_tree(package: Package) -> None:
    def items(output: str) -> set[tuple[str, str, str]]:
        rows = [json.loads(line) for line in output.splitlines()]
        return {(r["flow"], r["address"], r["typ"]) for r in rows}

    args = ("addresses", "--json", "--listen", "udp:0.0.0.0:0")
    bundled = package.run(*args)
    source = subprocess.run(
        [sys.executable, "-m", "alexphone", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert bundled.returncode == 0 == source.returncode, bundled.stderr + source.stderr
    assert items(bundled.stdout) and items(bundled.stdout) == items(source.stdout)


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_window_starts_and_keeps_running(package: Package, platform: str) -> None:
    # A private network namespace (loopback only): the window's engine sends nothing outside.
    profile = package.home / f"profile-{platform}"
    command = [
        "unshare",
        "--net",
        "timeout",
        "-s",
        "TERM",
        "6",
        str(package.program),
        "gui",
        "--profile",
        str(profile),
        "--listen",
        "udp:127.0.0.1:0",
        "--no-mdns",
    ]
    if platform == "xcb":
        command = ["xvfb-run", "-a", *command]
    done = subprocess.run(
        command,
        env=package.env(QT_QPA_PLATFORM=platform),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 124, f"exit {done.returncode}: {done.stderr[-3000:]}"
    assert "Could not load the Qt platform plugin" not in done.stderr
    assert (profile / "alexphone.db").is_file()


# Two bundled phones in a private network namespace (loopback only): the daemon answers, the
# caller offers DTLS-SRTP, so the bundle must carry pyOpenSSL, cryptography and pylibsrtp.
DTLS_CALL = """
ip link set lo up
"$1" daemon --json --auto-answer --no-mdns --profile "$2/callee" --listen udp:127.0.0.1:5070 \
    --audio-in silence --audio-out null > "$2/callee.out" 2>&1 &
callee=$!
for i in $(seq 100); do grep -q ua.ready "$2/callee.out" && break; sleep 0.1; done
"$1" call sip:callee@127.0.0.1:5070 --duration 2 --json --no-mdns --profile "$2/caller" \
    --listen udp:127.0.0.1:5072 --audio-in tone:440 --audio-out null --media-encryption dtls
status=$?
kill "$callee"
exit $status
"""


def test_two_bundled_phones_talk_dtls_srtp(package: Package) -> None:
    work = package.home / "dtls"
    work.mkdir()
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", DTLS_CALL, "sh", str(package.program), str(work)],
        env=package.env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:] + (work / "callee.out").read_text()[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    media = [e for e in events if e.get("event") == "call.media" and e.get("suite")]
    assert media and media[-1]["encryption"] == "dtls-srtp", events
    stats = [e for e in events if e.get("event") == "call.stats"]
    assert stats and stats[-1]["received"] > 0 and stats[-1]["auth_failed"] == 0, stats
