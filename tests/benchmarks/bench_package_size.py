"""Size of the Alexphone .deb and of what it installs, next to Linphone's Debian package.

Two views, measured in the same run:
- the packages alone: the .deb's file size and Installed-Size against linphone-desktop's
  (apt-cache show): ours carries Python, PySide6's Qt and numpy in the bundle, Linphone takes
  its Qt 5, QML modules and liblinphone from other Debian packages;
- on a fresh Debian system (the mmdebstrap root of tests/installers/debian_root.py, needs root):
  everything ``apt-get install`` would download and install for each, dependencies and
  recommendations included (``apt-get -s``; nothing is downloaded but package lists).

Usage: python tests/benchmarks/bench_package_size.py [--deb PATH] [--json]
Without --deb it builds the .deb as ``make dist`` does (xz, about 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "installers"))

from debian_root import DebianRoot, cache_dir  # noqa: E402

LINPHONE = "linphone-desktop"


def build(out: Path) -> Path:
    """Build the .deb with installers/linux/build_deb.sh (its default xz compression)."""
    env = dict(os.environ, BUILD_DIR=str(out / "build"))
    env.setdefault("PYTHON", sys.executable)
    done = subprocess.run(
        ["bash", str(ROOT / "installers/linux/build_deb.sh"), str(out)],
        env=env, capture_output=True, text=True, timeout=900, check=True,
    )  # fmt: skip
    return Path(done.stdout.strip().splitlines()[-1])


def fields(text: str) -> list[dict[str, str]]:
    """Control-file stanzas (apt-cache show, dpkg-deb -f) as dicts."""
    stanzas = []
    for block in re.split(r"\n\s*\n", text.strip()):
        pairs = re.findall(r"^([\w-]+): (.*)$", block, re.MULTILINE)
        if pairs:
            stanzas.append(dict(pairs))
    return stanzas


def alone(deb: Path) -> dict[str, float]:
    """MB of our .deb and its Installed-Size, and linphone-desktop's from the apt cache."""
    ours = fields(subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,
                                 check=True, timeout=60).stdout)[0]  # fmt: skip
    shown = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", LINPHONE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    theirs = fields(shown)[0]  # fmt: skip
    return {
        "alexphone_deb_mb": round(deb.stat().st_size / 1e6, 1),
        "alexphone_installed_mb": round(int(ours["Installed-Size"]) / 1024, 1),
        "linphone_desktop_deb_mb": round(int(theirs["Size"]) / 1e6, 1),
        "linphone_desktop_installed_mb": round(int(theirs["Installed-Size"]) / 1024, 1),
    }


def on_fresh_system(root: DebianRoot, target: str) -> tuple[int, float, float]:
    """(packages, download MB, installed MB) that ``apt-get install TARGET`` would bring."""
    plan = root.apt_get("install", "-s", target).stdout
    names = re.findall(r"^Inst (\S+)", plan, re.MULTILINE)
    names = [n for n in names if n != "alexphone"]
    shown = root.run("apt-cache", "show", "--no-all-versions", *names).stdout if names else ""
    stanzas = fields(shown)
    download = sum(int(s.get("Size", 0)) for s in stanzas) / 1e6
    installed = sum(int(s.get("Installed-Size", 0)) for s in stanzas) / 1024
    return len(names), download, installed


def fresh(deb: Path, figures: dict[str, float]) -> None:
    """Add what a fresh Debian system would download and install for each."""
    with tempfile.TemporaryDirectory(prefix="alexphone-size-") as work:
        root = DebianRoot.create(Path(work) / "root", cache_dir())
        root.apt_get("update", timeout=300)
        inside = root.copy_in(deb, f"/tmp/{deb.name}")
        for name, target in (("alexphone", inside), ("linphone_desktop", LINPHONE)):
            count, download, installed = on_fresh_system(root, target)
            own = figures[f"{name}_deb_mb"] if name == "alexphone" else 0.0
            own_installed = figures[f"{name}_installed_mb"] if name == "alexphone" else 0.0
            figures[f"{name}_fresh_packages"] = count + (1 if name == "alexphone" else 0)
            figures[f"{name}_fresh_download_mb"] = round(download + own, 1)
            figures[f"{name}_fresh_installed_mb"] = round(installed + own_installed, 1)


def main() -> int:
    """Measure and print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="a built .deb (default: build one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="alexphone-deb-") as out:
        deb = args.deb or build(Path(out))
        figures = alone(deb)
        if os.geteuid() == 0:
            fresh(deb, figures)
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"alexphone .deb {figures['alexphone_deb_mb']} MB, installed "
          f"{figures['alexphone_installed_mb']} MB; {LINPHONE} .deb "
          f"{figures['linphone_desktop_deb_mb']} MB, installed "
          f"{figures['linphone_desktop_installed_mb']} MB (without its libraries)")  # fmt: skip
    if "alexphone_fresh_packages" in figures:
        for name in ("alexphone", "linphone_desktop"):
            print(f"on a fresh Debian system, {name}: "
                  f"{figures[f'{name}_fresh_packages']} packages, "
                  f"{figures[f'{name}_fresh_download_mb']} MB to download, "
                  f"{figures[f'{name}_fresh_installed_mb']} MB installed")  # fmt: skip
    else:
        print("(not root: the fresh-system comparison needs a Debian root made by mmdebstrap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
