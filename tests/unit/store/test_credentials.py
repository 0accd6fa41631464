"""Passwords without a keyring: a 0600 file in the profile."""

from __future__ import annotations

import stat
from pathlib import Path

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
