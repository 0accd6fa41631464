"""The first-run assistant's account path against a real Kamailio on loopback (pytest-qt): a
wrong password and then the right one, said in plain words; Finish saves the account.

The window's engine registers nothing of its own (a new profile); the proxy is set so the
trial REGISTERs reach Kamailio without any DNS lookup.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt's QApplication

import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from lab import Lab
from lab_peers import DOMAIN, USERS, Kamailio
from pytestqt.qtbot import QtBot

from alexphone.cli import dial_check
from alexphone.engine.account_trial import trial_timeout
from alexphone.engine.events import AccountTried, Event, TrialOutcome, UaReady
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import (
    PhoneSettings,
    audio_in_option,
    audio_out_option,
    sip_uri_option,
)
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.net.transport import ListenSpec
from alexphone.sip.timer_config import TimerConfig
from alexphone.store.config import load_config
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio")]

AOR = f"sip:alice@{DOMAIN}"
WAIT_MS = 20000
# a trial always ends in an AccountTried, at the latest when its own timeout gives up
TRIAL_WAIT_MS = int(trial_timeout(TimerConfig()) * 1000) + 15000


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _window(qtbot: QtBot, profile: Path, proxy: str) -> MainWindow:
    settings = PhoneSettings(
        listen=(ListenSpec.parse("udp:127.0.0.1:0"),),
        profile=profile,
        proxy=sip_uri_option(proxy, "proxy"),
        audio_in=audio_in_option("silence"),
        audio_out=audio_out_option("null"),
    )
    context = WindowContext(
        profile=profile,
        database=open_database(profile / "alexphone.db"),
        runner=lambda: lambda emit, started: run_phone(settings, emit, started),
        check=dial_check(replace(settings, mdns=False)),
        passwords=PasswordStore(profile, use_keyring=False),
    )
    window = MainWindow(context)
    qtbot.addWidget(window)
    return window


def _is(kind: type[Event]) -> Callable[[object], bool]:
    return lambda event: isinstance(event, kind)


def test_assistant_tries_the_account_at_kamailio_and_saves_it(
    lab: Lab, qtbot: QtBot, tmp_path: Path
) -> None:
    port = _free_udp_port()
    kamailio = Kamailio(lab, None, ["127.0.0.1"], port=port, transports=["udp"]).start()
    profile = tmp_path / "profile"
    profile.mkdir()
    window = _window(qtbot, profile, f"sip:127.0.0.1:{port}")
    try:
        with qtbot.waitSignal(
            window.bridge.event_received, timeout=WAIT_MS, check_params_cb=_is(UaReady)
        ):
            window.start_engine()
        assert window.needs_first_run()
        wizard = window.open_first_run()
        wizard.choice.account.setChecked(True)
        wizard.next()
        page = wizard.account
        page.aor.setText(AOR)

        for password, said in (("wrong", "Wrong password"), (USERS["alice"], "Registered")):
            page.password.setText(password)
            with qtbot.waitSignal(
                window.bridge.event_received,
                timeout=TRIAL_WAIT_MS,
                check_params_cb=_is(AccountTried),
            ) as tried:
                page.try_button.click()
            assert page.result.text().startswith(said), (password, page.result.text(), tried.args)
        assert tried.args[0].outcome is TrialOutcome.REGISTERED
        assert not kamailio.registered("alice")  # the trial unregistered again

        wizard.next()
        wizard.accept()
        assert load_config(profile).account.aor == AOR
        assert window.passwords.get(AOR) == USERS["alice"]
    finally:
        assert window.stop_engine(5000)
