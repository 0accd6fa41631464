"""What the Makefile installs: `make run` only the app's packages and Python extras, `make test`
the lab's as well, and the lab's set covers every program the tests start.

The plans come from `make -n -B TARGET` (nothing is executed); the coverage check asks dpkg
which package ships each program the tests name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
APT_LINE = re.compile(r"^sh tools/apt-install\.sh( --no-services)? (.+)$")
PIP_EXTRAS = re.compile(r"pip install -q -e '\.\[([a-z,]+)\]'")
# Programs the tests or tools start without a needs() mark: screenshots, benchmarks, ringer.
UNMARKED_PROGRAMS = ("Xvfb", "import", "tcpdump", "paplay")


class Plan:
    """What `make -n -B TARGET` would do: apt-install calls and pip extras."""

    def __init__(self, target: str) -> None:
        out = subprocess.run(
            ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True,
            check=True, timeout=30,
        ).stdout  # fmt: skip
        self.services_on: set[str] = set()  # packages installed the ordinary way
        self.services_off: set[str] = set()  # installed with --no-services
        self.extras: set[str] = set()
        for line in out.splitlines():
            if match := APT_LINE.match(line.strip()):
                target_set = self.services_off if match.group(1) else self.services_on
                target_set.update(match.group(2).split())
            for extras in PIP_EXTRAS.findall(line):
                self.extras.update(extras.split(","))

    @property
    def packages(self) -> set[str]:
        """Every Debian package the target would make sure of."""
        return self.services_on | self.services_off


def test_make_run_installs_the_app_without_the_lab() -> None:
    run, test = Plan("run"), Plan("test")

    assert run.packages, "make run installs the packages the app needs"
    assert "libopus0" in run.packages and "libportaudio2" in run.packages
    assert run.services_off == set()
    lab = test.packages - run.packages
    assert {"kamailio", "coturn", "dnsmasq", "sip-tester", "avahi-daemon"} <= lab
    assert run.packages.isdisjoint(test.services_off)
    assert run.extras == {"gui"}
    assert {"gui", "test"} <= test.extras


def test_lab_servers_are_installed_with_their_services_off() -> None:
    test = Plan("test")

    assert {"kamailio", "coturn", "dnsmasq", "avahi-daemon", "pulseaudio"} <= test.services_off


def test_make_venv_and_bench_follow_run_and_test() -> None:
    assert Plan("venv").packages == Plan("run").packages
    assert Plan("venv").extras == {"gui"}
    assert Plan("bench").packages == Plan("test").packages


def _programs_the_tests_need() -> list[str]:
    """Programs named in needs() marks and conftest's BASE_PROGRAMS, plus the unmarked ones."""
    names: list[str] = []
    for path in TESTS.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for args in re.findall(r"needs\(([^)]*)\)", text):
            names.extend(re.findall(r'"([^"]+)"', args))
    base = re.search(r"BASE_PROGRAMS = \(([^)]*)\)", (TESTS / "conftest.py").read_text())
    assert base is not None
    names.extend(re.findall(r'"([^"]+)"', base.group(1)))
    return list(dict.fromkeys([*names, *UNMARKED_PROGRAMS]))


def _dpkg(*args: str) -> str:
    done = subprocess.run(["dpkg-query", *args], capture_output=True, text=True, timeout=30)
    return done.stdout if done.returncode == 0 else ""


def _owner(program: str) -> str | None:
    """The Debian package that ships ``program`` as found on PATH (usrmerge-aware)."""
    found = shutil.which(program)
    if found is None:
        return None
    real = os.path.realpath(found)
    candidates = [real, found, *(p.removeprefix("/usr") for p in (real, found))]
    for candidate in dict.fromkeys(candidates):
        if out := _dpkg("-S", candidate):
            return out.split(":", 1)[0].split(",")[0].strip()
    return None


def _depends(package: str) -> set[str]:
    """Names in the Depends field of an installed package (alternatives included)."""
    field = _dpkg("-W", "-f=${Depends}", package)
    return {re.split(r"[\s(:]", alt.strip())[0] for alt in re.split(r"[,|]", field) if alt.strip()}


def _always_there(package: str) -> bool:
    """Essential or priority required/important: on every Debian installation."""
    essential, _, priority = _dpkg("-W", "-f=${Essential} ${Priority}", package).partition(" ")
    return essential == "yes" or priority in {"required", "important"}


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system")
def test_every_program_the_tests_start_comes_from_a_listed_package() -> None:
    listed = Plan("test").packages
    covered = listed.union(*(_depends(p) for p in listed))
    ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    absent: list[str] = []
    uncovered: dict[str, str | None] = {}
    for program in _programs_the_tests_need():
        owner = _owner(program)
        if shutil.which(program) is None:
            absent.append(program)
        elif owner is None or not (owner in covered or _always_there(owner)):
            uncovered[program] = owner

    assert uncovered == {}, "add these programs' packages to LAB_PACKAGES"
    if absent:
        message = f"not installed here: {', '.join(absent)}"
        if ci:
            pytest.fail(f"{message} (make test installs LAB_PACKAGES before pytest)")
        pytest.skip(message)
