"""Account passwords: the system keyring when a usable one exists, else a 0600 profile file.

``keyring`` finds the platform's store (Secret Service, KWallet, macOS Keychain, Windows
Credential Locker). When it finds none (a headless Linux box has no Secret Service), it
answers with a backend that fails or forgets; we then keep the password in the profile's
``password`` file, mode 0600, and say so once per store. A keyring that exists but refuses
(locked, denied) raises ``CredentialsError`` naming it, never a bare backend exception.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from alexphone.core.errors import ConfigError
from alexphone.store.profile import make_profile

__all__ = ["PASSWORD_FILE", "SERVICE", "CredentialsError", "PasswordStore", "system_keyring"]

SERVICE = "alexphone"
PASSWORD_FILE = "password"
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
            try:
                value = self._keyring.get_password(SERVICE, account)
            except KeyringError as exc:
                raise self._refused("read", exc) from None
            return value if isinstance(value, str) else None
        self._say_fallback()
        try:
            return self.file.read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            return None

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
        descriptor = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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
        self.file.unlink(missing_ok=True)

    def _say_fallback(self) -> None:
        if self._warn:
            self._warn = False
            log.warning(
                "no system keyring is available; passwords are kept in %s (mode 0600)", self.file
            )

    def _refused(self, verb: str, exc: KeyringError) -> CredentialsError:
        return CredentialsError(
            f"the system keyring ({self._name}) could not {verb} the password: {exc or 'refused'}"
        )
