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
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from alexphone.alex.cache import CacheEntry
from alexphone.core.errors import AlexphoneError, ConfigError
from alexphone.discovery.resolver import SipResolver, parse_nameserver
from alexphone.engine.alexcall.gathering import address_lines, gather_addresses, nat_servers
from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import HangUp, PlaceCall, SendDtmf, Shutdown
from alexphone.engine.dial_target import dial_target, is_telephone_number
from alexphone.engine.events import CallChanged, CallState, Event
from alexphone.engine.lan_discovery import browse_peers
from alexphone.engine.media_security import media_encryption_option
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import (
    DEFAULT_LISTEN,
    AccountSettings,
    PhoneSettings,
    audio_in_option,
    audio_out_option,
    codecs_option,
    echo_cancel_option,
    sip_uri_option,
)
from alexphone.media.audio_spec import EchoControl
from alexphone.net.tls import TlsSettings
from alexphone.net.transport import ListenSpec
from alexphone.store.alex_cache import AlexCacheStore
from alexphone.store.config import load_config
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import DATABASE_NAME, open_database

EXIT_USAGE = 2
DTMF_DIGITS = "0123456789*#ABCDabcd"


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
    parser.add_argument("--no-alex", action="store_true", help="plain SIP: no ALEX headers/checks")
    _discovery_options(parser)
    _nat_options(parser)
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain for tls: listeners")
    parser.add_argument("--tls-key", type=Path, help="private key of --tls-cert")
    parser.add_argument("--tls-ca", type=Path, help="extra CA certificates to trust (PEM)")
    parser.add_argument(
        "--tls-insecure", action="store_true", help="do not verify TLS certificates (testing only)"
    )
    parser.add_argument(
        "--audio-in",
        default="default",
        metavar="DEVICE|file:X.wav|tone:HZ|silence",
        help="what we send: a sound card (name or part of it), a WAV file, a tone, silence",
    )
    parser.add_argument(
        "--audio-out",
        default="default",
        metavar="DEVICE|file:X.wav|null",
        help="where what we hear goes: a sound card, a WAV file, or nowhere",
    )
    parser.add_argument(
        "--echo-cancel",
        default="auto",
        metavar="on|off|auto",
        help="echo cancellation and noise suppression of the microphone (auto: sound cards only)",
    )
    parser.add_argument(
        "--codecs", default="opus,pcmu,pcma", help="audio codecs in order of preference"
    )
    parser.add_argument(
        "--media-timeout", type=float, default=30.0, help="end a call after S s without RTP"
    )
    parser.add_argument(
        "--media-encryption",
        default="optional",
        metavar="off|optional|mandatory",
        help="SRTP with SDES keys: optional answers SRTP and offers it over TLS; mandatory "
        "refuses cleartext peers",
    )
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
    call.add_argument("--dtmf", default="", metavar="DIGITS", help="send DTMF once answered")
    gui = sub.add_parser("gui", help="the desktop app (the default)")
    _common(gui)
    gui.add_argument("uri", nargs="?", help="call this address once the window is up")
    peers = sub.add_parser("peers", help="list DNS-SD peers and proxies seen within --timeout")
    peers.add_argument("--timeout", type=float, default=3.0, help="seconds to browse")
    resolve = sub.add_parser("resolve", help="RFC 3263 targets in the order they are tried")
    resolve.add_argument("uri", help="sip:/sips: URI or domain")
    addresses = sub.add_parser("addresses", help="the ALEX-item lines a call would announce")
    addresses.add_argument("--listen", action="append", default=[], metavar="udp:HOST:PORT")
    _nat_options(addresses)
    addresses.add_argument("--json", action="store_true", help="print JSON lines")
    addresses.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    cache = sub.add_parser("cache", help="ALEX cache entries of the profile")
    cache.add_argument("--profile", type=Path, help="profile directory")
    cache.add_argument("--clear", action="store_true", help="delete every entry")
    cache.add_argument("--json", action="store_true", help="print JSON lines")
    cache.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    for lookup in (peers, resolve):
        _discovery_options(lookup)
        lookup.add_argument("--json", action="store_true", help="print JSON lines")
        lookup.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    return parser


def _discovery_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dns-server", metavar="HOST:PORT", help="DNS server for SIP lookups")
    parser.add_argument(
        "--mdns-interface",
        action="append",
        default=[],
        metavar="IF",
        help="interface name or address for mDNS (repeatable; default: all)",
    )


def _nat_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stun", metavar="HOST:PORT", help="STUN server for reflexive addresses")
    parser.add_argument("--turn", metavar="turn:HOST:PORT", help="TURN server for relayed media")
    parser.add_argument("--turn-user", metavar="USER", help="TURN long-term credential user")
    parser.add_argument("--turn-password-file", type=Path, help="file holding the TURN password")


def _addresses(args: argparse.Namespace) -> int:
    """Run ``addresses``: gather for real from throwaway sockets, print one line per item."""
    try:
        stun, turn = nat_servers(args.stun, args.turn, args.turn_user, args.turn_password_file)
        listen = tuple(ListenSpec.parse(text) for text in args.listen) or DEFAULT_LISTEN
        gathered = asyncio.run(gather_addresses(PhoneSettings(listen=listen, stun=stun, turn=turn)))
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (AlexphoneError, OSError) as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1
    for problem in gathered.problems:
        reason = f"no {problem.kind.value} from {problem.server}: {problem.reason}"
        print(f"alexphone: {problem.flow}: {reason}", file=sys.stderr)
    for line in address_lines(gathered, args.json):
        print(line)
    return 0


def _cache(args: argparse.Namespace) -> int:
    """Run ``cache``: list (or ``--clear``) the profile's ALEX cache entries."""
    profile = args.profile or _default_profile()
    try:
        connection = open_database(profile / DATABASE_NAME)
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1
    try:
        store = AlexCacheStore(connection)
        if args.clear:
            count = store.clear()
            print(json.dumps({"cleared": count}) if args.json else f"{count} entries cleared")
            return 0
        for line in cache_lines(store.entries(), time.time(), args.json):
            print(line)
    finally:
        connection.close()
    return 0


def cache_lines(entries: Sequence[CacheEntry], now: float, as_json: bool) -> list[str]:
    """One line per ALEX cache entry: text columns, or one JSON object each."""
    lines: list[str] = []
    for entry in entries:
        key = entry.key
        rtt_ms = round(entry.rtt * 1000, 2) if entry.rtt is not None else None
        use = entry.use(now).value
        if as_json:
            fields = {
                "peer": key.peer,
                "flow": key.flow,
                "local": key.local,
                "remote": key.remote,
                "network": key.network,
                "outcome": entry.outcome.value,
                "use": use,
                "age_s": round(now - entry.updated, 1),
                "rtt_ms": rtt_ms,
            }
            lines.append(json.dumps(fields))
        else:
            rtt = f"{rtt_ms:.1f} ms" if rtt_ms is not None else "-"
            lines.append(
                f"{key.peer} {key.flow} {key.local} -> {key.remote} {entry.outcome.value}"
                f" ({use}, {now - entry.updated:.0f} s ago, rtt {rtt}) net {key.network}"
            )
    return lines


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
    stun, turn = nat_servers(args.stun, args.turn, args.turn_user, args.turn_password_file)
    profile = args.profile or _default_profile()
    return PhoneSettings(
        listen=listen,
        listen_fallback=not args.listen,  # the default port may be another phone's
        profile=profile,
        user=args.user,
        display_name=args.display_name,
        account=account,
        proxy=proxy,
        auto_answer=getattr(args, "auto_answer", None),
        audio_in=audio_in_option(args.audio_in),
        audio_out=audio_out_option(args.audio_out),
        echo_cancel=echo_cancel_option(args.echo_cancel),
        codecs=codecs_option(args.codecs),
        media_timeout=args.media_timeout,
        media_encryption=media_encryption_option(args.media_encryption),
        tls=TlsSettings(args.tls_cert, args.tls_key, args.tls_ca, verify=not args.tls_insecure),
        dns_server=parse_nameserver(args.dns_server) if args.dns_server else None,
        mdns=not args.no_mdns,
        mdns_interfaces=tuple(args.mdns_interface),
        alex=not args.no_alex,
        stun=stun,
        turn=turn,
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


def _lookup(args: argparse.Namespace) -> int:
    """Run ``peers`` or ``resolve``; on failure one line on stderr, exit 1 (2: bad option)."""
    try:
        dns_server = parse_nameserver(args.dns_server) if args.dns_server else None
        if args.command == "resolve":
            uri = sip_uri_option(args.uri, "URI")
            resolution = asyncio.run(SipResolver(dns_server).resolve(uri))
            for target in resolution.targets:
                fields = target.to_json()
                print(json.dumps(fields) if args.json else " ".join(map(str, fields.values())))
            return 0
        settings = PhoneSettings(mdns_interfaces=tuple(args.mdns_interface), dns_server=dns_server)
        print_event = _printer(args.json)
        table = asyncio.run(browse_peers(settings, print_event, args.timeout))
        for event in table:
            print_event(event)
        return 0
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (AlexphoneError, OSError) as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse keeps the sub-commands in a private action
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def gui_settings(args: argparse.Namespace) -> PhoneSettings:
    """Settings for the desktop app: the options, then the profile's config.toml for the rest."""
    base = settings_from(args)
    config = load_config(base.profile)
    account, network, audio = config.account, config.network, config.audio
    changes: dict[str, object] = {
        "mdns": network.lan_discovery and not args.no_mdns,
        "log_sip": True,  # the window has a SIP log view
        "audio_levels": True,  # ... and level meters
    }
    if base.account is None and account.aor:
        changes["account"] = AccountSettings(
            aor=sip_uri_option(account.aor, "account"),
            password=PasswordStore(base.profile).get(account.aor),
            username=account.username or None,
            registrar=sip_uri_option(account.registrar, "registrar") if account.registrar else None,
            expires=account.expires,
        )
    if base.proxy is None and account.proxy:
        changes["proxy"] = sip_uri_option(account.proxy, "proxy")
    if args.display_name is None and account.display_name:
        changes["display_name"] = account.display_name
    if not args.listen and network.listen:
        changes["listen"] = tuple(ListenSpec.parse(text) for text in network.listen)
        changes["listen_fallback"] = False  # the user chose this address: fail loudly
    if args.audio_in == "default":
        changes["audio_in"] = audio_in_option(audio.input)
    if args.audio_out == "default":
        changes["audio_out"] = audio_out_option(audio.output)
    if args.echo_cancel == "auto" and not audio.echo_cancel:
        changes["echo_cancel"] = EchoControl.OFF
    if args.codecs == "opus,pcmu,pcma" and audio.codecs:
        changes["codecs"] = codecs_option(",".join(audio.codecs))
    return replace(base, **changes)  # type: ignore[arg-type]


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


def _gui(args: argparse.Namespace) -> int:
    """Run the desktop app (PySide6 is imported only here, so the CLI works without it)."""
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        print("alexphone: no display; use 'alexphone daemon' on a headless box", file=sys.stderr)
        return 1
    try:
        from alexphone.gui.app import run_gui
    except ImportError as exc:
        print(f"alexphone: the desktop app needs PySide6 ({exc})", file=sys.stderr)
        return 1
    try:
        settings = gui_settings(args)
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def runner() -> Callable[..., Coroutine[Any, Any, None]]:
        def run(
            emit: Callable[[Event], None], started: Callable[[PhoneClient], None]
        ) -> Coroutine[Any, Any, None]:
            return run_phone(gui_settings(args), emit, started)  # re-read: settings may change

        return run

    return run_gui(settings.profile, runner, dial_check(settings), args.uri)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    if argv is None:  # run as a program: no sub-command (or just a URI) means the desktop app
        argv = sys.argv[1:]
        if not argv or (argv[0] not in _subcommands(parser) and argv[0] not in ("-h", "--help")):
            argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    _configure_logging(args.verbose)
    if args.command in ("peers", "resolve"):
        return _lookup(args)
    if args.command == "addresses":
        return _addresses(args)
    if args.command == "cache":
        return _cache(args)
    if args.command == "gui":
        return _gui(args)
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
        if args.dtmf.strip(DTMF_DIGITS):
            raise ConfigError(f"--dtmf: {args.dtmf!r}: digits are 0-9 * # A-D")
        script = _CallScript(args.uri, args.duration, print_event, args.dtmf.upper())
        uri = args.uri.lower()
        lan_name = not uri.startswith(("sip:", "sips:")) and "@" not in uri
        if args.no_mdns or not lan_name or is_telephone_number(uri):
            dial_target(args.uri, settings.account)  # a LAN peer's name is checked by the engine
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
