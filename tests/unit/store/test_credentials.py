"""Passwords without a keyring: a 0600 file in the profile."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from alexphone.store.credentials import PasswordStore


def test_file_backend_is_private_and_round_trips(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "profile", use_keyring=False)
    assert store.get("sip:a@b") is None
    store.set("sip:a@b", "s3cret")
    assert store.get("sip:a@b") == "s3cret"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert "0600" in store.backend


def test_wider_existing_file_is_narrowed(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path, use_keyring=False)
    store.file.write_text("old\n")
    store.file.chmod(0o644)
    store.set("sip:a@b", "new")
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    store.delete("sip:a@b")
    assert not store.file.exists()


def test_a_keyring_without_a_backend_falls_back_to_the_file(tmp_path: Path) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # as on a headless box: the module, no backend
    try:
        store = PasswordStore(tmp_path)
        store.set("sip:alice@example.com", "pw")
        assert store.get("sip:alice@example.com") == "pw"
        assert store.backend.startswith("file ")
    finally:
        keyring.set_keyring(previous)
