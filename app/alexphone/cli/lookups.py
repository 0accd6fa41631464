"""The look-up sub-commands: ``peers``, ``resolve``, ``addresses`` and ``cache``.

Each asks one engine function (``engine/diagnostics.py``) and prints its answer: a
table for people, or one JSON object per line with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

from alexphone.cli.phone import default_profile, printer
from alexphone.core.errors import ConfigError
from alexphone.engine.diagnostics import (
    CachedPath,
    alex_cache_paths,
    announced_addresses,
    browse_lan,
    clear_alex_cache,
    resolve_targets,
)
from alexphone.engine.events import Event, PeerAdded
from alexphone.engine.options import listen_option, nameserver_option, nat_option
from alexphone.engine.settings import PhoneSettings

PEER_COLUMNS = ("NAME", "ROLE", "ALEX", "URI", "ADDRESSES")


def run_peers(args: argparse.Namespace) -> int:
    """Browse the LAN for ``--timeout`` s: JSON events as they come, or a table at the end."""
    settings = PhoneSettings(
        mdns_interfaces=tuple(args.mdns_interface),
        dns_server=nameserver_option(args.dns_server),
    )
    live = printer(True) if args.json else _quiet
    peers = asyncio.run(browse_lan(settings, live, args.timeout))
    if not args.json:
        for line in peer_table(peers):
            print(line)
    return 0


def _quiet(event: Event) -> None:
    """Without --json the table at the end says it all."""


def peer_table(peers: Sequence[PeerAdded]) -> list[str]:
    """Return aligned rows, one per peer, under a header (a line saying none if none)."""
    if not peers:
        return ["no SIP peers seen on the LAN"]
    rows = [PEER_COLUMNS] + [
        (p.peer, p.role.value, "yes" if p.alex else "no", p.uri, " ".join(p.addresses))
        for p in peers
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(PEER_COLUMNS) - 1)]
    lines = []
    for row in rows:  # the last column (addresses) is not padded
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return lines


def run_resolve(args: argparse.Namespace) -> int:
    """Print the RFC 3263 targets of a URI in the order they are tried."""
    targets = asyncio.run(resolve_targets(args.uri, nameserver_option(args.dns_server)))
    for target in targets:
        fields = target.to_json()
        print(json.dumps(fields) if args.json else " ".join(map(str, fields.values())))
    return 0


def run_addresses(args: argparse.Namespace) -> int:
    """Gather for real from throwaway sockets; print one line per ALEX item."""
    stun, turn = nat_option(args.stun, args.turn, args.turn_user, args.turn_password_file)
    settings = PhoneSettings(listen=listen_option(args.listen), stun=stun, turn=turn)
    report = asyncio.run(announced_addresses(settings))
    for problem in report.problems:
        print(f"alexphone: {problem}", file=sys.stderr)
    for line in report.lines(args.json):
        print(line)
    return 0


def run_cache(args: argparse.Namespace) -> int:
    """List (or ``--clear``) the profile's ALEX cache entries."""
    profile = args.profile or default_profile()
    try:
        if args.clear:
            count = clear_alex_cache(profile)
            print(json.dumps({"cleared": count}) if args.json else f"{count} entries cleared")
            return 0
        paths = alex_cache_paths(profile, time.time())
    except ConfigError as exc:  # the profile's database is unusable: not a usage error
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1
    for line in cache_lines(paths, args.json):
        print(line)
    return 0


def cache_lines(paths: Sequence[CachedPath], as_json: bool) -> list[str]:
    """One line per ALEX cache entry: text columns, or one JSON object each."""
    if as_json:
        return [json.dumps(path.to_json()) for path in paths]
    lines = []
    for p in paths:
        rtt = f"{p.rtt_ms:.1f} ms" if p.rtt_ms is not None else "-"
        lines.append(
            f"{p.peer} {p.flow.value} {p.local} -> {p.remote} {p.outcome.value}"
            f" ({p.use.value}, {p.age_s:.0f} s ago, rtt {rtt}) net {p.network}"
        )
    return lines
