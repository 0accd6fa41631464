"""A bad profile is said once, set aside and replaced by defaults; nothing is deleted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alexphone.store.config import AppConfig, load_config, load_config_or_defaults, unknown_keys
from alexphone.store.database import SCHEMA_VERSION, schema_version
from alexphone.store.profile_check import (
    NoticeKind,
    check_config,
    check_writable,
    open_profile_database,
)

NOON = 1_796_299_200.0  # a fixed time for the names of files set aside


def _newer_database(path: Path) -> None:
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE contacts_v2 (id INTEGER PRIMARY KEY)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    raw.commit()
    raw.close()


def test_a_config_that_is_not_toml_is_set_aside_and_defaults_follow(tmp_path: Path) -> None:
    broken = '[account]\naor = "sip:alice@example.com\n'  # the string never ends
    (tmp_path / "config.toml").write_text(broken, encoding="utf-8")

    notice = check_config(tmp_path, NOON)

    assert notice is not None and notice.kind is NoticeKind.CONFIG_BROKEN
    assert notice.kept_as is not None and notice.kept_as.read_text(encoding="utf-8") == broken
    assert notice.kept_as.name.startswith("config.toml.broken-")
    assert str(tmp_path / "config.toml") in notice.text and notice.kept_as.name in notice.text
    assert "line 2" in notice.text and "Fix:" in notice.text
    assert "\n" not in notice.text
    assert load_config(tmp_path).account.aor == ""  # defaults: the file is out of the way


def test_a_value_of_the_wrong_type_is_set_aside_too(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[account]\nexpires = 'soon'\n", encoding="utf-8")

    notice = check_config(tmp_path, NOON)

    assert notice is not None and notice.kind is NoticeKind.CONFIG_BROKEN
    assert "account.expires" in notice.text
    assert not (tmp_path / "config.toml").exists()


def test_unknown_keys_are_named_and_the_file_is_kept(tmp_path: Path) -> None:
    text = '[account]\naor = "sip:a@example.com"\nvolum = 3\n[video]\ncamera = "x"\n'
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")

    notice = check_config(tmp_path, NOON)

    assert notice is not None and notice.kind is NoticeKind.CONFIG_UNKNOWN_KEYS
    assert "account.volum, video" in notice.text and str(tmp_path / "config.toml") in notice.text
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == text
    assert load_config(tmp_path).account.aor == "sip:a@example.com"
    assert unknown_keys('[audio]\ninput = "x"\n') == ()


def test_a_good_or_missing_config_says_nothing(tmp_path: Path) -> None:
    assert check_config(tmp_path, NOON) is None
    (tmp_path / "config.toml").write_text('[audio]\ninput = "USB"\n', encoding="utf-8")
    assert check_config(tmp_path, NOON) is None


def test_a_newer_database_is_kept_aside_untouched_and_a_fresh_one_opens(tmp_path: Path) -> None:
    _newer_database(tmp_path / "alexphone.db")

    db, notice = open_profile_database(tmp_path, NOON)

    assert notice is not None and notice.kind is NoticeKind.DATABASE_NEWER
    assert f"schema {SCHEMA_VERSION + 3}" in notice.text and "newer Alexphone" in notice.text
    assert notice.kept_as is not None and notice.kept_as.name.startswith("alexphone.db.newer-")
    kept = sqlite3.connect(notice.kept_as)
    assert schema_version(kept) == SCHEMA_VERSION + 3
    assert kept.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not even WAL set
    assert kept.execute("SELECT name FROM sqlite_master").fetchall() == [("contacts_v2",)]
    assert schema_version(db) == SCHEMA_VERSION
    db.execute("INSERT INTO contacts (name, uri) VALUES ('a', 'sip:a@b')")  # usable


def test_a_file_that_is_not_a_database_is_kept_aside(tmp_path: Path) -> None:
    (tmp_path / "alexphone.db").write_bytes(b"this is not SQLite" * 100)

    db, notice = open_profile_database(tmp_path, NOON)

    assert notice is not None and notice.kind is NoticeKind.DATABASE_BROKEN
    assert notice.kept_as is not None and notice.kept_as.read_bytes().startswith(b"this is not")
    assert "not a database" in notice.text
    assert schema_version(db) == SCHEMA_VERSION


def test_two_failures_in_one_second_do_not_overwrite_each_other(tmp_path: Path) -> None:
    kept = []
    for _ in range(2):
        (tmp_path / "config.toml").write_text("[[", encoding="utf-8")
        notice = check_config(tmp_path, NOON)
        assert notice is not None and notice.kept_as is not None
        kept.append(notice.kept_as)
    assert kept[0] != kept[1] and all(path.exists() for path in kept)


def test_an_unwritable_profile_gets_a_database_in_memory(read_only_dir: Path) -> None:
    notice = check_writable(read_only_dir)
    db, db_notice = open_profile_database(read_only_dir, NOON)

    assert notice is not None and notice.kind is NoticeKind.NOT_WRITABLE
    assert str(read_only_dir) in notice.text and "--profile" in notice.text
    assert db_notice == notice
    assert schema_version(db) == SCHEMA_VERSION
    assert list(read_only_dir.iterdir()) == []


def test_a_profile_that_cannot_be_created_is_not_writable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")

    notice = check_writable(tmp_path / "file" / "profile")

    assert notice is not None and notice.kind is NoticeKind.NOT_WRITABLE
    assert check_writable(tmp_path / "new" / "profile") is None  # created


def test_a_config_that_stays_broken_reads_as_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[[[", encoding="utf-8")
    assert load_config_or_defaults(tmp_path) == AppConfig()
