"""Accounts from option text (the command line's ``--account`` groups, config.toml's tables).

Every error is one ConfigError line naming the option or the config key to fix.
"""

from __future__ import annotations

from pathlib import Path

from alexphone.core.errors import ConfigError
from alexphone.engine.options import secret_file_option
from alexphone.engine.settings import AccountSettings, sip_uri_option, transport_option
from alexphone.store.config import AccountConfig


def account_option(
    aor: str,
    *,
    password_file: Path | None = None,
    transport: str = "",
    registrar: str = "",
    expires: int = 600,
) -> AccountSettings:
    """Return the account of one ``--account`` group of options."""
    return AccountSettings(
        aor=sip_uri_option(aor, "--account"),
        password=secret_file_option(password_file, f"--password-file of {aor}"),
        registrar=sip_uri_option(registrar, f"--registrar of {aor}") if registrar else None,
        transport=transport_option(transport, f"--transport of {aor}"),
        expires=expires,
    )


def account_from_config(config: AccountConfig, name: str, password: str | None) -> AccountSettings:
    """Return the account of config table ``name`` (``accounts[1]``) with its stored password."""
    try:
        return AccountSettings(
            aor=sip_uri_option(config.aor, "aor"),
            password=password,
            username=config.username or None,
            registrar=sip_uri_option(config.registrar, "registrar") if config.registrar else None,
            expires=config.expires,
            transport=transport_option(_transport(config.transport), "transport"),
            proxy=sip_uri_option(config.proxy, "proxy") if config.proxy else None,
        )
    except ConfigError as exc:
        raise ConfigError(f"config {name}: {exc}") from None


def _transport(text: str) -> str:
    """udp is the table's default: only another choice overrides the proxy URI's transport."""
    return "" if text == "udp" else text
