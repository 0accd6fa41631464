"""``alexphone gui``: the desktop app (PySide6 is imported only here, so the CLI works without).

The options come first; the profile's ``config.toml`` fills in what they leave out.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from alexphone.cli.parser import EXIT_USAGE
from alexphone.cli.phone import settings_from
from alexphone.core.errors import ConfigError
from alexphone.engine.account_options import account_from_config
from alexphone.engine.client import PhoneClient
from alexphone.engine.control_host import run_served_phone
from alexphone.engine.dial_target import dial_target, is_telephone_number
from alexphone.engine.events import Event
from alexphone.engine.media_security import media_encryption_option
from alexphone.engine.options import listen_option
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import (
    PhoneSettings,
    audio_in_option,
    audio_out_option,
    codecs_option,
    echo_cancel_option,
    sip_uri_option,
)
from alexphone.store.config import AppConfig, load_config
from alexphone.store.credentials import PasswordStore
from alexphone.store.profile_check import (
    ProfileNotice,
    check_config,
    check_writable,
    set_aside_config,
)


def gui_settings(args: argparse.Namespace) -> PhoneSettings:
    """Settings for the desktop app: the options, then the profile's config.toml for the rest.

    A config.toml that cannot be used counts as absent (``prepare_gui`` said so at start).
    """
    base = settings_from(args)
    try:
        return _with_config(args, base, load_config(base.profile))
    except ConfigError:
        return _with_config(args, base, AppConfig())


def prepare_gui(args: argparse.Namespace) -> tuple[PhoneSettings, list[ProfileNotice]]:
    """The window's settings and what is wrong with its profile, the broken files set aside.

    A bad option is a ConfigError (exit status 2); a bad profile never is.
    """
    base = settings_from(args)
    found = (check_writable(base.profile), check_config(base.profile))
    notices = [notice for notice in found if notice is not None]
    try:
        return _with_config(args, base, load_config(base.profile)), notices
    except ConfigError as exc:  # valid TOML, but a value the phone cannot take
        notices.append(set_aside_config(base.profile, str(exc)))
        return _with_config(args, base, AppConfig()), notices


def _with_config(args: argparse.Namespace, base: PhoneSettings, config: AppConfig) -> PhoneSettings:
    changes: dict[str, object] = {
        "mdns": config.network.lan_discovery and not args.no_mdns,
        "log_sip": True,  # the window has a SIP log view
        "audio_levels": True,  # ... and level meters
    }
    changes.update(_account_changes(args, base, config))
    network, audio = config.network, config.audio
    if not args.listen and network.listen:
        changes["listen"] = listen_option(network.listen)
        changes["listen_fallback"] = False  # the user chose this address: fail loudly
    if args.audio_in == "default":
        changes["audio_in"] = audio_in_option(audio.input)
    if args.audio_out == "default":
        changes["audio_out"] = audio_out_option(audio.output)
    if args.echo_cancel == "auto" and not audio.echo_cancel:
        changes["echo_cancel"] = echo_cancel_option("off")
    if args.codecs == "opus,pcmu,pcma" and audio.codecs:
        changes["codecs"] = codecs_option(",".join(audio.codecs))
    if args.media_encryption == "optional":
        changes["media_encryption"] = media_encryption_option(audio.encryption)
    return replace(base, **changes)  # type: ignore[arg-type]


def _account_changes(
    args: argparse.Namespace, base: PhoneSettings, config: AppConfig
) -> dict[str, object]:
    """The accounts, proxy and display name config.toml gives where the options gave none."""
    changes: dict[str, object] = {}
    if not base.accounts and config.accounts:
        passwords = PasswordStore(base.profile)
        changes["accounts"] = tuple(
            account_from_config(account, f"accounts[{index}]", passwords.get(account.aor))
            for index, account in enumerate(config.accounts)
        )
    first = config.account
    if base.proxy is None and first.proxy:
        changes["proxy"] = sip_uri_option(first.proxy, "proxy")
    if args.display_name is None and first.display_name:
        changes["display_name"] = first.display_name
    return changes


def dial_check(settings: PhoneSettings) -> Callable[[str], str | None]:
    """Return the dial box's check: None if the text can be dialled, else the reason."""

    def check(text: str) -> str | None:
        try:
            dial_target(text, settings.account)
        except ConfigError as exc:
            maybe_name = "@" not in text and ":" not in text and not is_telephone_number(text)
            if settings.mdns and maybe_name:
                return None  # maybe a LAN peer's name
            return str(exc)
        return None

    return check


def engine_runner(args: argparse.Namespace) -> Callable[..., Coroutine[Any, Any, None]]:
    """Return the window's engine runner: a phone that serves ``alexphone ctl`` too.

    The settings are read again at every (re)start, since Settings may have changed them; in
    a profile that cannot be written the phone runs without a control socket.
    """

    def run(
        emit: Callable[[Event], None], started: Callable[[PhoneClient], None]
    ) -> Coroutine[Any, Any, None]:
        settings = gui_settings(args)
        if check_writable(settings.profile) is not None:
            return run_phone(settings, emit, started)
        return run_served_phone(settings, emit, started, busy_is_fatal=False)

    return run


def run_gui(args: argparse.Namespace) -> int:
    """Run the desktop app; 1 without a display or PySide6, 2 for bad options."""
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        print("alexphone: no display; use 'alexphone daemon' on a headless box", file=sys.stderr)
        return 1
    try:
        from alexphone.gui.app import run_gui as run_app
    except ImportError as exc:
        print(f"alexphone: the desktop app needs PySide6 ({exc})", file=sys.stderr)
        return 1
    try:
        settings, notices = prepare_gui(args)
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE

    texts = [notice.text for notice in notices]
    check = dial_check(settings)
    return run_app(settings.profile, lambda: engine_runner(args), check, args.uri, texts)
