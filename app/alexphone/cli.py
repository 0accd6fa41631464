"""The command line: ``alexphone daemon``, ``alexphone call URI`` (ARCHITECTURE.md §6).

Runs the engine on the main thread; with ``--json`` every event is one JSON
object per line on stdout. Bad options print one line saying what to fix and
exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from alexphone.core.errors import AlexphoneError, ConfigError
from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import HangUp, PlaceCall, Shutdown
from alexphone.engine.events import CallChanged, CallState, Event
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import DEFAULT_LISTEN, AccountSettings, PhoneSettings, sip_uri_option
from alexphone.net.transport import ListenSpec

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the bad option, then exit 2."""
        self.exit(EXIT_USAGE, f"alexphone: {message} (see 'alexphone --help')\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, help="profile directory (config, database, logs)")
    parser.add_argument(
        "--listen",
        action="append",
        default=[],
        metavar="udp:HOST:PORT",
        help="where to listen (repeatable; udp: or tcp:; default udp:0.0.0.0:5060)",
    )
    parser.add_argument("--user", default="alexphone", help="local user name for Contact/From")
    parser.add_argument("--display-name", help="display name shown to the people you call")
    parser.add_argument("--account", metavar="sip:user@domain", help="account to register")
    parser.add_argument("--password-file", type=Path, help="file holding the account password")
    parser.add_argument("--proxy", metavar="URI", help="outbound proxy / registrar address")
    parser.add_argument("--expires", type=int, default=600, help="registration expiry (s)")
    parser.add_argument("--json", action="store_true", help="print events as JSON lines")
    parser.add_argument("--no-mdns", action="store_true", help="do not use mDNS/DNS-SD on the LAN")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every sub-command."""
    parser = _Parser(prog="alexphone", description="Alexphone softphone")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    daemon = sub.add_parser("daemon", help="headless phone: registers, answers per --auto-answer")
    _common(daemon)
    daemon.add_argument(
        "--auto-answer",
        nargs="?",
        const=0.0,
        type=float,
        metavar="SECONDS",
        help="answer incoming calls (after SECONDS, default at once)",
    )
    call = sub.add_parser("call", help="place one call; exit 0 if answered and ended normally")
    _common(call)
    call.add_argument("uri", help="whom to call: sip:user@host[:port]")
    call.add_argument("--duration", type=float, default=5.0, help="seconds to stay connected")
    call.add_argument("--timeout", type=float, default=60.0, help="give up after this many s")
    return parser


def settings_from(args: argparse.Namespace) -> PhoneSettings:
    """Turn parsed options into validated settings (ConfigError names the bad option)."""
    listen = tuple(ListenSpec.parse(text) for text in args.listen) or DEFAULT_LISTEN
    account = None
    if args.account:
        password = None
        if args.password_file is not None:
            try:
                password = args.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"--password-file: cannot read {args.password_file}: {exc.strerror}"
                ) from None
        account = AccountSettings(
            aor=sip_uri_option(args.account, "--account"),
            password=password,
            expires=args.expires,
        )
    proxy = sip_uri_option(args.proxy, "--proxy") if args.proxy else None
    profile = args.profile or _default_profile()
    return PhoneSettings(
        listen=listen,
        profile=profile,
        user=args.user,
        display_name=args.display_name,
        account=account,
        proxy=proxy,
        auto_answer=getattr(args, "auto_answer", None),
    )


def _default_profile() -> Path:
    from platformdirs import user_data_path

    return user_data_path("alexphone", appauthor=False)


def _printer(as_json: bool) -> Callable[[Event], None]:
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

    def __init__(self, uri: str, duration: float, print_event: Callable[[Event], None]) -> None:
        self.uri = uri
        self.duration = duration
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
        elif event.state is CallState.ENDED:
            self.ended_normally = self.answered and (event.code is None or event.code < 300)
            client.submit(Shutdown())


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _run(
    settings: PhoneSettings,
    emit: Callable[[Event], None],
    started: Callable[[PhoneClient], None] | None,
    timeout: float | None,
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        holder: list[PhoneClient] = []

        def on_started(client: PhoneClient) -> None:
            holder.append(client)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, client.submit, Shutdown())
            if timeout is not None:
                loop.call_later(timeout, client.submit, Shutdown())
            if started is not None:
                started(client)

        await run_phone(settings, emit, on_started)

    asyncio.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    _configure_logging(args.verbose)
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print_event = _printer(args.json)
    try:
        if args.command == "daemon":
            _run(settings, print_event, None, None)
            return 0
        script = _CallScript(args.uri, args.duration, print_event)
        sip_uri_option(args.uri, "URI")
        _run(settings, script.emit, script.started, args.timeout)
        return 0 if script.ended_normally else 1
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AlexphoneError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"alexphone: {exc.strerror or exc}", file=sys.stderr)
        return 1
