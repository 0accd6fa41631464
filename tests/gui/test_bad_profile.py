"""The window on a bad profile (offscreen): one clear notice naming the file and the fix,
the broken file set aside, the window up with defaults, and never a traceback.

The in-process tests look at the window; the last one runs ``alexphone gui`` itself and
reads its stderr.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_phones import dial_check, loopback_runner
from pytestqt.qtbot import QtBot

from alexphone.cli import build_parser
from alexphone.cli.gui import prepare_gui
from alexphone.gui.app import build_window
from alexphone.gui.main_window import MainWindow
from alexphone.store.config import load_config
from alexphone.store.database import SCHEMA_VERSION

APP = Path(__file__).resolve().parents[2] / "app"


@pytest.fixture
def opened(qtbot: QtBot) -> Iterator[list[MainWindow]]:
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.close()


def _open(qtbot: QtBot, profile: Path, windows: list[MainWindow]) -> tuple[MainWindow, list[str]]:
    """What ``alexphone gui --profile PROFILE`` does before the event loop, engine not started."""
    args = build_parser().parse_args(["gui", "--profile", str(profile), "--no-mdns"])
    _settings, notices = prepare_gui(args)
    texts = [notice.text for notice in notices]
    _app, window = build_window(
        profile, lambda: loopback_runner(profile), dial_check(), notices=texts
    )
    qtbot.addWidget(window)
    windows.append(window)
    return window, texts


def _said(window: MainWindow) -> str:
    box = window.profile_notice
    assert box is not None and box.isVisible()
    assert window.banner.isVisibleTo(window)
    return box.informativeText()


def test_a_config_with_a_syntax_error_is_set_aside(
    qtbot: QtBot, tmp_path: Path, opened: list[MainWindow]
) -> None:
    (tmp_path / "config.toml").write_text('[audio]\ninput = "USB\n', encoding="utf-8")

    window, texts = _open(qtbot, tmp_path, opened)

    said = _said(window)
    assert len(texts) == 1 and str(tmp_path / "config.toml") in said and "Fix:" in said
    [kept] = tmp_path.glob("config.toml.broken-*")
    assert kept.name in said and kept.read_text(encoding="utf-8") == '[audio]\ninput = "USB\n'
    assert load_config(tmp_path).audio.input == "default"


def test_a_config_value_the_phone_cannot_take_is_set_aside(
    qtbot: QtBot, tmp_path: Path, opened: list[MainWindow]
) -> None:
    (tmp_path / "config.toml").write_text('[account]\naor = "sip:al ice@"\n', encoding="utf-8")

    window, texts = _open(qtbot, tmp_path, opened)

    assert len(texts) == 1 and "account" in _said(window)
    assert not (tmp_path / "config.toml").exists()


def test_unknown_keys_are_named_and_the_rest_is_used(
    qtbot: QtBot, tmp_path: Path, opened: list[MainWindow]
) -> None:
    text = '[audio]\ninput = "USB mic"\nloudness = 3\n'
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")

    window, _texts = _open(qtbot, tmp_path, opened)

    said = _said(window)
    assert "audio.loudness" in said and str(tmp_path / "config.toml") in said
    assert load_config(tmp_path).audio.input == "USB mic"


def test_a_database_from_a_newer_version_is_set_aside(
    qtbot: QtBot, tmp_path: Path, opened: list[MainWindow]
) -> None:
    raw = sqlite3.connect(tmp_path / "alexphone.db")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()

    window, _texts = _open(qtbot, tmp_path, opened)

    said = _said(window)
    assert str(tmp_path / "alexphone.db") in said and "newer Alexphone" in said
    assert len(list(tmp_path.glob("alexphone.db.newer-*"))) == 1
    assert window.contacts.rowCount() == 0  # a fresh database behind the window


def test_an_unwritable_profile_still_opens_the_window(
    qtbot: QtBot, read_only_dir: Path, opened: list[MainWindow]
) -> None:
    window, texts = _open(qtbot, read_only_dir, opened)

    said = _said(window)
    assert str(read_only_dir) in said and "not writable" in said and "--profile" in said
    assert len(texts) == 1  # the database's own notice is the same one, said once
    assert said.count("not writable") == 1


def test_the_program_says_it_on_stderr_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[[[", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(APP), "QT_QPA_PLATFORM": "offscreen"}
    argv = [sys.executable, "-m", "alexphone", "gui", "--profile", str(tmp_path), "--no-mdns"]
    argv += ["--listen", "udp:127.0.0.1:0", "--audio-in", "silence", "--audio-out", "null"]
    with subprocess.Popen(
        ["timeout", "60", *argv], env=env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        first = process.stderr.readline()  # printed before the window opens
        process.send_signal(signal.SIGTERM)  # the window closes cleanly
        rest = process.communicate(timeout=60)[1]

    assert first.startswith("alexphone: ") and str(tmp_path / "config.toml") in first
    assert "Fix:" in first and "Traceback" not in rest
    assert process.returncode == 0


def test_the_encryption_policy_comes_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[audio]\nencryption = "dtls"\n', encoding="utf-8")
    args = build_parser().parse_args(["gui", "--profile", str(tmp_path), "--no-mdns"])
    settings, notices = prepare_gui(args)
    assert settings.media_encryption.value == "dtls" and notices == []
    args = build_parser().parse_args(
        ["gui", "--profile", str(tmp_path), "--no-mdns", "--media-encryption", "off"]
    )
    assert prepare_gui(args)[0].media_encryption.value == "off"  # the option wins


def test_an_unknown_encryption_policy_is_set_aside(
    qtbot: QtBot, tmp_path: Path, opened: list[MainWindow]
) -> None:
    (tmp_path / "config.toml").write_text('[audio]\nencryption = "always"\n', encoding="utf-8")

    window, texts = _open(qtbot, tmp_path, opened)

    assert len(texts) == 1 and "--media-encryption" in _said(window)
