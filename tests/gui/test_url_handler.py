"""A tel:/sip: link opened with xdg-open reaches the running window and dials: the project's
desktop entry registered with xdg-mime in a throw-away XDG home, xdg-open under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from alexphone.cli import dial_check
from alexphone.engine.commands import PlaceCall
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.gui.single_instance import InstanceServer
from alexphone.sip.uri import parse_sip_uri
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_ENTRY = ROOT / "resources" / "alexphone.desktop"
PROGRAMS = ("xdg-open", "xdg-mime", "xvfb-run")

pytestmark = [pytest.mark.interop, pytest.mark.needs(*PROGRAMS)]


def _xdg_home(tmp_path: Path) -> dict[str, str]:
    """An environment whose XDG dirs, PATH `alexphone` and handlers are the test's own."""
    home = tmp_path / "home"
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    launcher = bin_dir / "alexphone"  # what the package's /usr/bin/alexphone does
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m alexphone "$@"\n')
    launcher.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DISPLAY"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "share"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_DIRS=str(home / "share"),  # only the project's entry is known
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT / "app"),
        QT_QPA_PLATFORM="offscreen",
    )
    applications = home / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy(DESKTOP_ENTRY, applications / "alexphone.desktop")
    for scheme in ("sip", "sips", "tel"):
        subprocess.run(
            ["xdg-mime", "default", "alexphone.desktop", f"x-scheme-handler/{scheme}"],
            env=env, check=True, timeout=30,
        )  # fmt: skip
    return env


@pytest.mark.parametrize("link", ["tel:+1-555-123-4567", "sip:carol@example.com"])
def test_xdg_open_hands_the_link_to_the_running_window(
    qtbot: QtBot, tmp_path: Path, link: str
) -> None:
    env = _xdg_home(tmp_path)
    query = ["xdg-mime", "query", "default", "x-scheme-handler/tel"]
    assert subprocess.run(query, env=env, capture_output=True, text=True, timeout=30).stdout == (
        "alexphone.desktop\n"
    )
    profile = Path(env["XDG_DATA_HOME"]) / "alexphone"  # the default profile under that home
    account = AccountSettings(parse_sip_uri("sip:alice@example.com"))
    window = MainWindow(
        WindowContext(
            profile=profile,
            database=open_database(profile / "alexphone.db"),
            runner=lambda: pytest.fail("the engine is not started in this test"),
            check=dial_check(PhoneSettings(profile=profile, accounts=(account,))),
            passwords=PasswordStore(profile, use_keyring=False),
        )
    )
    qtbot.addWidget(window)
    server = InstanceServer(profile, window)
    server.launched.connect(window.launched)
    assert server.listen()
    opener = subprocess.Popen(
        ["xvfb-run", "-a", "xdg-open", link], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        with qtbot.waitSignal(window.command_sent, timeout=20000) as sent:
            qtbot.waitUntil(lambda: opener.poll() is not None, timeout=20000)
        assert opener.returncode == 0, opener.stderr.read() if opener.stderr else ""
    finally:
        if opener.poll() is None:
            opener.kill()
        opener.wait(10)
        server.close()
    assert sent.args == [PlaceCall(link)]
