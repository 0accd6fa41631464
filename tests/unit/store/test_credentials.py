"""Passwords in the system keyring, else a 0600 file in the profile; the profile is 0700."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError

from alexphone.store.credentials import (
    SERVICE,
    CredentialsError,
    PasswordStore,
    password_file_name,
    system_keyring,
)
from alexphone.store.profile import make_profile


def test_file_backend_is_private_and_round_trips(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "profile", use_keyring=False)
    assert store.get("sip:a@b") is None
    store.set("sip:a@b", "s3cret")
    assert store.get("sip:a@b") == "s3cret"
    assert stat.S_IMODE(store.file("sip:a@b").stat().st_mode) == 0o600
    assert "0600" in store.backend


def test_wider_existing_file_is_narrowed(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path, use_keyring=False)
    store.file("sip:a@b").parent.mkdir()
    store.file("sip:a@b").write_text("old\n")
    store.file("sip:a@b").chmod(0o644)
    store.set("sip:a@b", "new")
    assert stat.S_IMODE(store.file("sip:a@b").stat().st_mode) == 0o600
    store.delete("sip:a@b")
    assert not store.file("sip:a@b").exists()


class MemoryKeyring(KeyringBackend):
    """A keyring backend kept in a dict; priority -1, so keyring never picks it by itself."""

    priority = -1  # type: ignore[assignment]

    def __init__(self, refuse: bool = False) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.refuse = refuse

    def get_password(self, service: str, username: str) -> str | None:
        if self.refuse:
            raise KeyringLocked("the collection is locked")
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise PasswordSetError("user declined")
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise PasswordDeleteError("not stored")
        del self.items[(service, username)]


@pytest.fixture
def installed_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    """Install a backend as keyring's choice for one test, then put the old one back."""
    before = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(before)


def test_a_keyring_keeps_the_password_and_no_file_is_written(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = PasswordStore(tmp_path, backend=backend)

    store.set("sip:a@b", "s3cret")

    assert store.get("sip:a@b") == "s3cret"
    assert backend.items == {(SERVICE, "sip:a@b"): "s3cret"}
    assert not store.file("sip:a@b").exists()
    assert store.backend == "system keyring"
    store.delete("sip:a@b")
    store.delete("sip:a@b")  # forgetting twice is no error
    assert store.get("sip:a@b") is None


def test_the_platform_keyring_is_used_when_keyring_finds_one(
    tmp_path: Path, installed_keyring: Callable[[KeyringBackend], None]
) -> None:
    backend = MemoryKeyring()
    installed_keyring(backend)

    PasswordStore(tmp_path).set("sip:a@b", "s3cret")

    assert system_keyring() is backend
    assert backend.items[(SERVICE, "sip:a@b")] == "s3cret"


@pytest.mark.parametrize("found", [fail.Keyring, null.Keyring])
def test_without_a_usable_keyring_the_file_is_used_and_said_once(
    tmp_path: Path,
    installed_keyring: Callable[[KeyringBackend], None],
    caplog: pytest.LogCaptureFixture,
    found: type[KeyringBackend],
) -> None:
    installed_keyring(found())
    store = PasswordStore(tmp_path / "profile")

    with caplog.at_level(logging.WARNING, logger="alexphone.store.credentials"):
        assert store.get("sip:a@b") is None
        store.set("sip:a@b", "s3cret")
        assert store.get("sip:a@b") == "s3cret"

    assert system_keyring() is None
    assert stat.S_IMODE(store.file("sip:a@b").stat().st_mode) == 0o600
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "0600" in warnings[0] and "s3cret" not in warnings[0]


def test_a_refusing_keyring_is_a_clear_error(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path, backend=MemoryKeyring(refuse=True))

    with pytest.raises(CredentialsError, match=r"MemoryKeyring\) could not store .*declined"):
        store.set("sip:a@b", "s3cret")
    with pytest.raises(CredentialsError, match="could not read the password: the collection"):
        store.get("sip:a@b")
    assert not store.file("sip:a@b").exists()  # no silent fallback to a file


def test_the_profile_is_created_private_with_its_parents(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "data" / "profile", use_keyring=False)

    store.set("sip:a@b", "s3cret")

    assert stat.S_IMODE((tmp_path / "data" / "profile").stat().st_mode) == 0o700


def test_an_existing_profile_keeps_its_mode(tmp_path: Path) -> None:
    profile = tmp_path / "shared"
    profile.mkdir(mode=0o755)
    profile.chmod(0o755)

    assert make_profile(profile) == profile
    assert stat.S_IMODE(profile.stat().st_mode) == 0o755


def test_each_account_has_its_own_file(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path, use_keyring=False)
    store.set("sip:alice@example.com", "one")
    store.set("sip:bob@example.org", "two")

    assert store.get("sip:alice@example.com") == "one"
    assert store.get("sip:bob@example.org") == "two"
    assert store.file("sip:alice@example.com").name == "alice@example.com"
    assert stat.S_IMODE(store.file("sip:bob@example.org").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.file("sip:bob@example.org").parent.stat().st_mode) == 0o700
    store.delete("sip:alice@example.com")
    assert store.get("sip:alice@example.com") is None
    assert store.get("sip:bob@example.org") == "two"


def test_each_account_has_its_own_keyring_entry(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = PasswordStore(tmp_path, backend=backend)
    store.set("sip:alice@example.com", "one")
    store.set("sip:bob@example.org", "two")

    assert backend.items == {
        (SERVICE, "sip:alice@example.com"): "one",
        (SERVICE, "sip:bob@example.org"): "two",
    }
    assert not (tmp_path / "passwords").exists()


def test_older_single_password_file_goes_to_the_first_account_that_asks(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("legacy\n")
    store = PasswordStore(tmp_path, use_keyring=False)

    assert store.get("sip:alice@example.com") == "legacy"
    assert store.get("sip:bob@example.org") is None  # never another account's password
    assert not (tmp_path / "password").exists()
    assert store.file("sip:alice@example.com").read_text() == "legacy\n"


@pytest.mark.parametrize(
    ("first", "second"),
    [("sip:a/b@x", "sip:a_b@x"), ("sip:a@x", "sips:a@x"), ("sip:../x@y", "sip:_x@y")],
)
def test_file_names_are_safe_and_distinct(first: str, second: str) -> None:
    names = {password_file_name(first), password_file_name(second)}
    assert len(names) == 2
    assert all("/" not in n and not n.startswith(".") for n in names)
