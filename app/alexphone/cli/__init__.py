"""The command line: ``alexphone daemon``, ``call``, ``gui``, ``ctl`` and the look-ups (peers,
resolve, addresses, cache); a composition root, like the window.

It only parses options, asks the engine (``engine.runner``, ``engine.diagnostics``,
``engine.options``) and prints. Bad options print one line saying what to fix and exit
with status 2; failures at run time print one line and exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from alexphone.cli.ctl import run_ctl
from alexphone.cli.gui import dial_check, gui_settings, run_gui
from alexphone.cli.lookups import run_addresses, run_cache, run_peers, run_resolve
from alexphone.cli.parser import EXIT_USAGE, build_parser, subcommands
from alexphone.cli.phone import run_call, run_daemon, settings_from
from alexphone.core.errors import AlexphoneError, ConfigError

__all__ = ["build_parser", "dial_check", "gui_settings", "main", "settings_from"]

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "daemon": run_daemon,
    "call": run_call,
    "peers": run_peers,
    "resolve": run_resolve,
    "addresses": run_addresses,
    "cache": run_cache,
    "ctl": run_ctl,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    if argv is None:  # run as a program: no sub-command (or just a URI) means the desktop app
        argv = sys.argv[1:]
        if not argv or (argv[0] not in subcommands(parser) and argv[0] not in ("-h", "--help")):
            argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    _configure_logging(args.verbose)
    if args.command == "gui":
        return run_gui(args)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AlexphoneError as exc:
        print(f"alexphone: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"alexphone: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
