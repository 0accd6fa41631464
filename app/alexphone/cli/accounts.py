"""The command line's accounts: ``--account`` groups and the options that belong to one.

``--account AOR`` is repeatable; ``--password-file``, ``--transport`` and ``--registrar``
belong to the ``--account`` given before them (given before any, to the first one)::

    alexphone daemon --account sip:alice@example.com --password-file alice.txt \\
                     --account sip:bob@example.org --password-file bob.txt --transport tcp

The first account is the default of outgoing calls (``call`` always uses it).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alexphone.core.errors import ConfigError
from alexphone.engine.account_options import account_option
from alexphone.engine.settings import AccountSettings

DEST = "account_groups"
_PARTS = {
    "--password-file": "password_file",
    "--transport": "transport",
    "--registrar": "registrar",
}


class AccountPart(argparse.Action):
    """Collects ``--account`` and its options into one dict per account, in order."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        """Start a group at ``--account``; put the other options into the latest one."""
        groups: list[dict[str, Any]] = list(getattr(namespace, DEST, None) or [])
        option = option_string or "--account"
        value: Any = Path(str(values)) if option == "--password-file" else values
        if option == "--account":
            if groups and "aor" not in groups[-1]:
                groups[-1]["aor"] = value  # options given before the first --account
            else:
                groups.append({"aor": value})
        else:
            if not groups:
                groups.append({})
            key = _PARTS[option]
            if key in groups[-1]:
                where = groups[-1].get("aor", "the first account")
                parser.error(f"{option} given twice for {where}")
            groups[-1][key] = value
        setattr(namespace, DEST, groups)


def add_account_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--account`` and the options that belong to one (see the module's docstring)."""
    parser.set_defaults(**{DEST: []})
    parser.add_argument(
        "--account",
        action=AccountPart,
        metavar="sip:user@domain",
        help="account to register (repeatable; the first places calls by default)",
    )
    parser.add_argument(
        "--password-file", action=AccountPart, help="file holding the password of that account"
    )
    parser.add_argument(
        "--transport", action=AccountPart, metavar="udp|tcp|tls", help="that account's transport"
    )
    parser.add_argument(
        "--registrar", action=AccountPart, metavar="URI", help="that account's registrar"
    )


def accounts_from(args: argparse.Namespace) -> tuple[AccountSettings, ...]:
    """Return the accounts the options give, in order; ConfigError names the bad one."""
    groups: list[dict[str, Any]] = getattr(args, DEST, None) or []
    accounts = []
    for group in groups:
        if "aor" not in group:
            raise ConfigError("--password-file/--transport/--registrar: give --account too")
        accounts.append(account_option(**group, expires=args.expires))
    return tuple(accounts)
