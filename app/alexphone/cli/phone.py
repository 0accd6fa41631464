"""``alexphone daemon`` and ``alexphone call``: a phone on the main thread, events on stdout.

The daemon also serves ``alexphone ctl`` on the profile's control socket.

With ``--json`` every event is one JSON object per line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from alexphone.cli.accounts import accounts_from
from alexphone.core.errors import ConfigError
from alexphone.engine.call_dtls import MEDIA_ENCRYPTION_FAILED
from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import HangUp, PlaceCall, SendDtmf, Shutdown
from alexphone.engine.control_host import run_served_phone
from alexphone.engine.dial_target import dial_target, is_telephone_number
from alexphone.engine.events import CallChanged, CallState, Event
from alexphone.engine.media_security import media_encryption_option
from alexphone.engine.options import (
    listen_option,
    nameserver_option,
    nat_option,
    tls_option,
)
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import (
    PhoneSettings,
    audio_in_option,
    audio_out_option,
    codecs_option,
    echo_cancel_option,
    sip_t1_option,
    sip_uri_option,
)
from alexphone.store.profile_check import check_writable

DTMF_DIGITS = "0123456789*#ABCDabcd"
# reasons with which the phone itself ended an answered call that failed: exit status 1
CALL_FAILED_REASONS = frozenset({MEDIA_ENCRYPTION_FAILED})


def default_profile() -> Path:
    """Return the user's profile directory (platformdirs' data path)."""
    from platformdirs import user_data_path

    return user_data_path("alexphone", appauthor=False)


def settings_from(args: argparse.Namespace) -> PhoneSettings:
    """Turn parsed options into validated settings (ConfigError names the bad option)."""
    stun, turn = nat_option(args.stun, args.turn, args.turn_user, args.turn_password_file)
    return PhoneSettings(
        listen=listen_option(args.listen),
        listen_fallback=not args.listen,  # the default port may be another phone's
        profile=args.profile or default_profile(),
        user=args.user,
        display_name=args.display_name,
        accounts=accounts_from(args),
        proxy=sip_uri_option(args.proxy, "--proxy") if args.proxy else None,
        auto_answer=getattr(args, "auto_answer", None),
        audio_in=audio_in_option(args.audio_in),
        audio_out=audio_out_option(args.audio_out),
        echo_cancel=echo_cancel_option(args.echo_cancel),
        codecs=codecs_option(args.codecs),
        media_timeout=args.media_timeout,
        media_encryption=media_encryption_option(args.media_encryption),
        tls=tls_option(args.tls_cert, args.tls_key, args.tls_ca, args.tls_insecure),
        dns_server=nameserver_option(args.dns_server),
        mdns=not args.no_mdns,
        mdns_interfaces=tuple(args.mdns_interface),
        alex=not args.no_alex,
        stun=stun,
        turn=turn,
        log_sip=args.sip_log,
        show_secrets=args.show_secrets,
        sip_timers=sip_t1_option(args.sip_t1),
    )


def printer(as_json: bool) -> Callable[[Event], None]:
    """Return an emit callback printing each event: ``name: k=v ...`` or one JSON line."""

    def emit(event: Event) -> None:
        if as_json:
            line = json.dumps({"ts": round(time.time(), 3), **event.to_json()})
        else:
            fields = event.to_json()
            name = fields.pop("event")
            line = f"{name}: " + " ".join(
                f"{k}={v}" for k, v in fields.items() if v not in ("", None)
            )
        print(line, flush=True)

    return emit


class _CallScript:
    """Drives ``alexphone call``: dial, hang up after --duration, note how it ended."""

    def __init__(
        self, uri: str, duration: float, print_event: Callable[[Event], None], dtmf: str = ""
    ) -> None:
        self.uri = uri
        self.duration = duration
        self.dtmf = dtmf
        self.print_event = print_event
        self.client: PhoneClient | None = None
        self.answered = False
        self.ended_normally = False

    def started(self, client: PhoneClient) -> None:
        self.client = client
        client.submit(PlaceCall(self.uri))

    def emit(self, event: Event) -> None:
        self.print_event(event)
        if not isinstance(event, CallChanged) or self.client is None:
            return
        client = self.client
        if event.state is CallState.CONFIRMED and not self.answered:
            self.answered = True
            loop = asyncio.get_running_loop()
            loop.call_later(self.duration, client.submit, HangUp(event.call_id))
            if self.dtmf:
                client.submit(SendDtmf(event.call_id, self.dtmf))
        elif event.state is CallState.ENDED:
            failed = event.reason in CALL_FAILED_REASONS  # we ended it with BYE, no status
            self.ended_normally = (
                self.answered and (event.code is None or event.code < 300) and not failed
            )
            client.submit(Shutdown())


def _run(
    settings: PhoneSettings,
    emit: Callable[[Event], None],
    started: Callable[[PhoneClient], None] | None,
    timeout: float | None,
    control: bool = False,
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        ready: list[PhoneClient] = []
        stop_asked: list[int] = []

        def stop(number: int) -> None:  # also while starting: Shutdown goes once the phone can
            stop_asked.append(number)
            for client in ready:
                client.submit(Shutdown())

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop, sig)

        def on_started(client: PhoneClient) -> None:
            ready.append(client)
            if stop_asked:
                client.submit(Shutdown())
            if timeout is not None:
                loop.call_later(timeout, client.submit, Shutdown())
            if started is not None:
                started(client)

        if control:  # the socket before the phone: a second phone on the profile stops here
            await run_served_phone(settings, emit, on_started)
        else:
            await run_phone(settings, emit, on_started)

    asyncio.run(main())


def run_daemon(args: argparse.Namespace) -> int:
    """Run ``daemon`` until SIGINT/SIGTERM, serving ``alexphone ctl``; exit status 0.

    In a profile that cannot be written there is no control socket; the engine's ``error``
    event (where=profile) says so and how to fix it.
    """
    settings = settings_from(args)
    writable = check_writable(settings.profile) is None
    _run(settings, printer(args.json), None, None, control=writable)
    return 0


def run_call(args: argparse.Namespace) -> int:
    """Run ``call``: 0 if the call was answered and ended normally, else 1 (also when the
    phone ended it for a failure, e.g. "media encryption failed")."""
    settings = settings_from(args)
    if args.dtmf.strip(DTMF_DIGITS):
        raise ConfigError(f"--dtmf: {args.dtmf!r}: digits are 0-9 * # A-D")
    script = _CallScript(args.uri, args.duration, printer(args.json), args.dtmf.upper())
    uri = args.uri.lower()
    lan_name = not uri.startswith(("sip:", "sips:")) and "@" not in uri
    if args.no_mdns or not lan_name or is_telephone_number(uri):
        dial_target(args.uri, settings.account)  # a LAN peer's name is checked by the engine
    _run(settings, script.emit, script.started, args.timeout)
    return 0 if script.ended_normally else 1
