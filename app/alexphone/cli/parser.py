"""The command line's options: every sub-command takes ``--profile``, ``--json`` and ``-v``.

Bad options print one line naming what to fix and exit with status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from alexphone.cli.accounts import add_account_options

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the bad option, then exit 2."""
        self.exit(EXIT_USAGE, f"alexphone: {message} (see 'alexphone --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every sub-command."""
    parser = _Parser(prog="alexphone", description="Alexphone softphone")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    daemon = sub.add_parser("daemon", help="headless phone: registers, answers per --auto-answer")
    _phone_options(daemon)
    daemon.add_argument(
        "--auto-answer",
        nargs="?",
        const=0.0,
        type=float,
        metavar="SECONDS",
        help="answer incoming calls (after SECONDS, default at once)",
    )
    call = sub.add_parser("call", help="place one call; exit 0 if answered and ended normally")
    _phone_options(call)
    call.add_argument("uri", help="whom to call: sip:user@host[:port]")
    call.add_argument("--duration", type=float, default=5.0, help="seconds to stay connected")
    call.add_argument("--timeout", type=float, default=60.0, help="give up after this many s")
    call.add_argument("--dtmf", default="", metavar="DIGITS", help="send DTMF once answered")
    gui = sub.add_parser("gui", help="the desktop app (the default)")
    _phone_options(gui)
    gui.add_argument("uri", nargs="?", help="call this address once the window is up")
    _lookup_parsers(sub)
    _ctl_parser(sub)
    return parser


def subcommands(parser: argparse.ArgumentParser) -> set[str]:
    """Return the names of ``parser``'s sub-commands."""
    for action in parser._actions:  # argparse keeps the sub-commands in a private action
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _lookup_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    peers = sub.add_parser("peers", help="list DNS-SD peers and proxies seen within --timeout")
    _common_options(peers)
    _discovery_options(peers)
    peers.add_argument("--timeout", type=float, default=3.0, help="seconds to browse")
    resolve = sub.add_parser("resolve", help="RFC 3263 targets in the order they are tried")
    _common_options(resolve)
    _discovery_options(resolve)
    resolve.add_argument("uri", help="sip:/sips: URI or domain")
    addresses = sub.add_parser("addresses", help="the ALEX-item lines a call would announce")
    _common_options(addresses)
    _listen_option(addresses)
    _nat_options(addresses)
    cache = sub.add_parser("cache", help="ALEX cache entries of the profile")
    _common_options(cache)
    cache.add_argument("--clear", action="store_true", help="delete every entry")


def _ctl_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    ctl = sub.add_parser("ctl", help="tell a running phone (daemon or window) what to do")
    ctl.add_argument("--profile", type=Path, help="profile directory of the running phone")
    ctl.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    commands = ctl.add_subparsers(dest="ctl_command", required=True, parser_class=_Parser)
    dial = commands.add_parser("dial", help="call URI")
    dial.add_argument("uri")
    dial.add_argument(
        "--account", metavar="ACCOUNT", help="call from this account (AoR or user; default: first)"
    )
    for name, what in (
        ("answer", "answer CALL (default: the only ringing one), holding the calls up"),
        ("hangup", "end CALL (default: the only call)"),
        ("hold", "put CALL (default: the only one not held) on hold"),
        ("resume", "take CALL (default: the only held one) off hold, holding the others"),
        ("swap", "hold the call we talk with and resume CALL (default: the one held last)"),
        ("mute", "stop sending the microphone in CALL"),
        ("unmute", "send the microphone again in CALL"),
    ):
        command = commands.add_parser(name, help=what)
        command.add_argument("call", nargs="?")
    commands.choices["answer"].add_argument(
        "--end-others", action="store_true", help="hang up the calls that are up instead"
    )
    merge = commands.add_parser("merge", help="join CALLs (default: every call up) in a conference")
    merge.add_argument("calls", nargs="*", metavar="CALL")
    dtmf = commands.add_parser("dtmf", help="send DTMF DIGITS in CALL")
    dtmf.add_argument("call")
    dtmf.add_argument("digits")
    transfer = commands.add_parser(
        "transfer", help="transfer CALL to URI, or to the party of call CONSULT (attended)"
    )
    transfer.add_argument("call")
    target = transfer.add_mutually_exclusive_group(required=True)
    target.add_argument("uri", nargs="?", help="blind: the transferee calls URI")
    target.add_argument(
        "--consult", metavar="CALL", help="attended: CALL is our call with the target"
    )
    for name, what in (("status", "the calls in progress"), ("events", "stream the events")):
        commands.add_parser(name, help=what).add_argument(
            "--json", action="store_true", help="print JSON lines"
        )


def _common_options(parser: argparse.ArgumentParser) -> None:
    """The options every sub-command takes."""
    parser.add_argument("--profile", type=Path, help="profile directory (config, database, logs)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")


def _listen_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        action="append",
        default=[],
        metavar="udp:HOST:PORT",
        help="where to listen (repeatable; udp: or tcp:; default udp:0.0.0.0:5060)",
    )


def _phone_options(parser: argparse.ArgumentParser) -> None:
    """The options of the sub-commands that run a phone (daemon, call, gui)."""
    _common_options(parser)
    _listen_option(parser)
    parser.add_argument("--user", default="alexphone", help="local user name for Contact/From")
    parser.add_argument("--display-name", help="display name shown to the people you call")
    add_account_options(parser)
    parser.add_argument("--proxy", metavar="URI", help="outbound proxy / registrar address")
    parser.add_argument("--expires", type=int, default=600, help="registration expiry (s)")
    parser.add_argument("--no-mdns", action="store_true", help="do not use mDNS/DNS-SD on the LAN")
    parser.add_argument("--no-alex", action="store_true", help="plain SIP: no ALEX headers/checks")
    _discovery_options(parser)
    _nat_options(parser)
    _tls_options(parser)
    _audio_options(parser)
    parser.add_argument(
        "--sip-log", action="store_true", help="print every SIP message as a sip.message event"
    )
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="keep digest responses, ALEX/ICE passwords and SRTP keys in the SIP log",
    )
    parser.add_argument(
        "--media-timeout", type=float, default=30.0, help="end a call after S s without RTP"
    )
    parser.add_argument(
        "--sip-t1",
        type=float,
        default=500.0,
        metavar="MS",
        help="SIP round-trip estimate T1 (RFC 3261 §17); Timers B, F, H... are 64*T1 "
        "(smaller than 500 only on closed networks)",
    )
    parser.add_argument(
        "--media-encryption",
        default="optional",
        metavar="off|optional|mandatory|dtls",
        help="SRTP: optional answers SDES and DTLS-SRTP and offers SDES over TLS; mandatory "
        "refuses cleartext peers; dtls offers DTLS-SRTP and refuses anything else",
    )


def _tls_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain for tls: listeners")
    parser.add_argument("--tls-key", type=Path, help="private key of --tls-cert")
    parser.add_argument("--tls-ca", type=Path, help="extra CA certificates to trust (PEM)")
    parser.add_argument(
        "--tls-insecure", action="store_true", help="do not verify TLS certificates (testing only)"
    )


def _audio_options(parser: argparse.ArgumentParser) -> None:
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
