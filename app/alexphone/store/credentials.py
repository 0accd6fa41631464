"""Account passwords: the system keyring when a usable one exists, else 0600 profile files.

``keyring`` finds the platform's store (Secret Service, KWallet, macOS Keychain, Windows
Credential Locker); each account is one entry of service ``alexphone``, named by its AoR.
When it finds none (a headless Linux box has no Secret Service), it answers with a backend
that fails or forgets; we then keep each account's password in its own file,
``passwords/<user@domain>`` in the profile, mode 0600, and say so once per store. The one
``password`` file of older versions is taken over by the first account that asks for its
password (moved to that account's file). A keyring that exists but refuses (locked,
denied) raises ``CredentialsError`` naming it, never a bare backend exception.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from alexphone.core.errors import ConfigError
from alexphone.store.profile import make_profile

__all__ = [
    "LEGACY_PASSWORD_FILE",
    "PASSWORD_DIR",
    "SERVICE",
    "CredentialsError",
    "PasswordStore",
    "password_file_name",
    "system_keyring",
]

SERVICE = "alexphone"
PASSWORD_DIR = "passwords"
LEGACY_PASSWORD_FILE = "password"  # one per profile, before there were several accounts
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")
log = logging.getLogger(__name__)


class CredentialsError(ConfigError):
    """The system keyring refused to read, store or forget a password."""


def system_keyring() -> KeyringBackend | None:
    """Return the platform's keyring, or None when keyring found only a failing/null one."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def password_file_name(account: str) -> str:
    """Return the fallback file name of ``account``: ``user@domain``, unsafe characters hashed.

    Two AoRs never share a name: one that needed replacing gets a digest of the original.
    """
    bare = account.split(":", 1)[1] if account.lower().startswith(("sip:", "sips:")) else account
    name = _UNSAFE.sub("_", bare).lstrip(".") or "_"
    if name != bare or account.lower().startswith("sips:"):
        name += "-" + hashlib.sha256(account.encode()).hexdigest()[:8]
    return name


class PasswordStore:
    """Keeps one password per account; never logs or prints it."""

    def __init__(
        self,
        profile: Path,
        *,
        use_keyring: bool = True,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.profile = profile
        self._keyring = backend or (system_keyring() if use_keyring else None)
        self._warn = use_keyring and self._keyring is None  # said once, at first use
        self._name = "" if self._keyring is None else type(self._keyring).__name__

    def file(self, account: str) -> Path:
        """Return ``account``'s fallback file (also usable as its ``--password-file``)."""
        return self.profile / PASSWORD_DIR / password_file_name(account)

    @property
    def backend(self) -> str:
        """Return where passwords go, in words for the settings dialog."""
        if self._keyring is not None:
            return "system keyring"
        return f"files in {self.profile / PASSWORD_DIR} (mode 0600)"

    def get(self, account: str) -> str | None:
        """Return the stored password for ``account``, or None."""
        if self._keyring is not None:
            try:
                value = self._keyring.get_password(SERVICE, account)
            except KeyringError as exc:
                raise self._refused("read", exc) from None
            return value if isinstance(value, str) else None
        self._say_fallback()
        try:
            return self.file(account).read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            return self._take_legacy(account)

    def set(self, account: str, password: str) -> None:
        """Store ``password`` for ``account`` (the file is created 0600, never wider)."""
        if self._keyring is not None:
            try:
                self._keyring.set_password(SERVICE, account, password)
            except KeyringError as exc:
                raise self._refused("store", exc) from None
            return
        self._say_fallback()
        make_profile(self.profile)
        folder = self.profile / PASSWORD_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        path = self.file(account)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an older file may have been wider
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")

    def delete(self, account: str) -> None:
        """Forget the password for ``account`` (one the keyring never had is no error)."""
        if self._keyring is not None:
            try:
                self._keyring.delete_password(SERVICE, account)
            except PasswordDeleteError:
                pass  # nothing was stored for this account
            except KeyringError as exc:
                raise self._refused("forget", exc) from None
            return
        self.file(account).unlink(missing_ok=True)

    def _take_legacy(self, account: str) -> str | None:
        """Move an older version's single ``password`` file to ``account``'s own file."""
        legacy = self.profile / LEGACY_PASSWORD_FILE
        try:
            password = legacy.read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            return None
        self.set(account, password)
        legacy.unlink(missing_ok=True)
        log.info("the profile's password file now belongs to %s", account)
        return password

    def _say_fallback(self) -> None:
        if self._warn:
            self._warn = False
            log.warning(
                "no system keyring is available; passwords are kept in %s (mode 0600)",
                self.profile / PASSWORD_DIR,
            )

    def _refused(self, verb: str, exc: KeyringError) -> CredentialsError:
        return CredentialsError(
            f"the system keyring ({self._name}) could not {verb} the password: {exc or 'refused'}"
        )
