"""Account passwords: the OS keyring when one is installed, else a 0600 file in the profile."""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from types import ModuleType

SERVICE = "alexphone"
PASSWORD_FILE = "password"


def _keyring() -> ModuleType | None:
    """The keyring module if it has a working backend (a headless box often has none)."""
    try:
        module = importlib.import_module("keyring")
        fail = importlib.import_module("keyring.backends.fail")
    except ImportError:
        return None
    if isinstance(module.get_keyring(), fail.Keyring):
        return None  # every call would raise NoKeyringError: use the 0600 file instead
    return module


class PasswordStore:
    """Keeps one password per account; never logs or prints it."""

    def __init__(self, profile: Path, *, use_keyring: bool = True) -> None:
        self.profile = profile
        self._keyring = _keyring() if use_keyring else None

    @property
    def file(self) -> Path:
        """Return the fallback file (also usable as ``--password-file``)."""
        return self.profile / PASSWORD_FILE

    @property
    def backend(self) -> str:
        """Return where passwords go, in words for the settings dialog."""
        return "system keyring" if self._keyring is not None else f"file {self.file} (mode 0600)"

    def get(self, account: str) -> str | None:
        """Return the stored password for ``account``, or None."""
        if self._keyring is not None:
            value = self._keyring.get_password(SERVICE, account)
            return value if isinstance(value, str) else None
        try:
            return self.file.read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            return None

    def set(self, account: str, password: str) -> None:
        """Store ``password`` for ``account`` (the file is created 0600, never wider)."""
        if self._keyring is not None:
            self._keyring.set_password(SERVICE, account, password)
            return
        self.profile.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an older file may have been wider
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")

    def delete(self, account: str) -> None:
        """Forget the password for ``account``."""
        if self._keyring is not None:
            with contextlib.suppress(Exception):
                self._keyring.delete_password(SERVICE, account)
            return
        self.file.unlink(missing_ok=True)
