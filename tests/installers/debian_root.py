"""A throwaway Debian root: a fresh mmdebstrap system unpacked into a directory, with commands
run in it by ``chroot`` inside a private mount and PID namespace.

The base system (``--variant=apt``: the essential packages and apt) is made once and kept as a
tarball in the cache directory for a week; apt's downloaded packages and package lists are
cache directories bind-mounted into every root, so a second run downloads next to nothing.
The mounts (``/proc``, ``/dev``, the caches) live in the command's own mount namespace and
vanish with it: nothing needs unmounting, whatever happens to the test. The root shares the
host's network (it reaches the Debian mirror for ``apt-get``, and loopback).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

CACHE_ENV = "ALEXPHONE_TEST_CACHE"
DEFAULT_CACHE = Path("/var/cache/alexphone-tests")
BASE_MAX_AGE = 7 * 24 * 3600.0
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Machine state, caches and the users' homes: not what a package leaves behind.
STATE_DIRS = (
    "/proc", "/dev", "/sys", "/run", "/tmp", "/var/tmp", "/home", "/root",
    "/var/lib/apt", "/var/lib/dpkg", "/var/cache", "/var/log",
)  # fmt: skip

# $1 root, $2 apt archives cache, $3 apt lists cache, then the command.
ENTER = """set -e
root=$1 archives=$2 lists=$3
shift 3
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --bind "$archives" "$root/var/cache/apt/archives"
mount --bind "$lists" "$root/var/lib/apt/lists"
exec chroot "$@"
"""


class DebianRootError(Exception):
    """A command in the throwaway root failed."""


def cache_dir() -> Path:
    """Where base tarballs and apt's caches are kept between runs ($ALEXPHONE_TEST_CACHE)."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


def host_codename() -> str:
    """The host's Debian release (bookworm...): the root is the same release."""
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME":
            return value.strip('"')
    raise DebianRootError("/etc/os-release names no VERSION_CODENAME")


def base_tarball(cache: Path, timeout: float) -> Path:
    """The cached mmdebstrap base system, made again when missing or older than a week."""
    suite = host_codename()
    tarball = cache / f"debian-{suite}-apt.tar"
    if tarball.is_file() and time.time() - tarball.stat().st_mtime < BASE_MAX_AGE:
        return tarball
    cache.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial.tar")
    done = subprocess.run(
        ["mmdebstrap", "--mode=root", "--variant=apt", "--format=tar", suite, str(partial)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DebianRootError(f"mmdebstrap failed: {done.stderr[-3000:]}")
    partial.replace(tarball)
    return tarball


class DebianRoot:
    """A Debian system in ``path``; ``run`` executes commands inside it as root or a user."""

    def __init__(self, path: Path, cache: Path) -> None:
        self.path = path
        self.archives = cache / "apt-archives"
        self.lists = cache / "apt-lists"

    @classmethod
    def create(cls, path: Path, cache: Path, timeout: float = 300.0) -> DebianRoot:
        """Unpack the cached base system into ``path`` (made by mmdebstrap if needed)."""
        tarball = base_tarball(cache, timeout)
        path.mkdir(parents=True)
        subprocess.run(["tar", "-C", str(path), "-xf", str(tarball)], check=True, timeout=timeout)
        shutil.copyfile("/etc/resolv.conf", path / "etc" / "resolv.conf")
        root = cls(path, cache)
        for directory in (root.archives / "partial", root.lists / "partial"):
            directory.mkdir(parents=True, exist_ok=True)
        return root

    def host_path(self, inside: str) -> Path:
        """The host's path of ``inside`` (an absolute path in the root)."""
        return self.path / inside.lstrip("/")

    def run(
        self,
        *argv: str,
        user: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the root with a clean environment (PATH, LANG, HOME, ``env``)."""
        home = f"/home/{user}" if user else "/root"
        clean = {"PATH": PATH, "LANG": "C.UTF-8", "HOME": home, **(env or {})}
        chroot = ["--userspec", f"{user}:{user}"] if user else []
        command = [
            "unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--",
            "sh", "-c", ENTER, "enter", str(self.path), str(self.archives), str(self.lists),
            *chroot, str(self.path), "env", "-i", *(f"{k}={v}" for k, v in clean.items()), *argv,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise DebianRootError(
                f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
                f"{done.stderr[-3000:]}"
            )
        return done

    def apt_get(
        self, *args: str, timeout: float = 600.0, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``apt-get -y ARGS`` in the root, non-interactive."""
        quiet = {"DEBIAN_FRONTEND": "noninteractive", **(env or {})}
        return self.run(
            "apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0", *args, env=quiet, timeout=timeout
        )

    def copy_in(self, source: Path, inside: str) -> str:
        """Copy a host file into the root; its path inside."""
        shutil.copyfile(source, self.host_path(inside))
        return inside

    def tree(self) -> set[str]:
        """Every path in the root (as seen inside), machine state and homes left out."""
        paths: set[str] = set()
        for top, dirs, files in os.walk(self.path):
            relative = os.path.relpath(top, self.path)
            inside = "/" if relative == "." else "/" + relative
            kept = [d for d in dirs if os.path.join(inside, d) not in STATE_DIRS]
            dirs[:] = kept
            for name in (*kept, *files):
                paths.add(os.path.join(inside, name))
        return paths
