"""Option text (command line, config.toml) into settings values; ConfigError names the option.

The faces hand strings over and get settings back, so they never parse addresses,
certificates or server specs themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError
from alexphone.discovery.resolver import parse_nameserver
from alexphone.engine.alexcall.gathering import nat_servers
from alexphone.engine.settings import DEFAULT_LISTEN
from alexphone.net.tls import TlsSettings
from alexphone.net.transport import ListenSpec
from alexphone.net.turn_client import TurnSettings


def listen_option(texts: Sequence[str]) -> tuple[ListenSpec, ...]:
    """Parse ``--listen`` values (``udp:HOST:PORT``...); the default listener if none."""
    return tuple(ListenSpec.parse(text) for text in texts) or DEFAULT_LISTEN


def tls_option(
    certificate: Path | None, private_key: Path | None, ca_file: Path | None, insecure: bool
) -> TlsSettings:
    """Return the TLS settings of ``--tls-cert``/``--tls-key``/``--tls-ca``/``--tls-insecure``."""
    return TlsSettings(certificate, private_key, ca_file, verify=not insecure)


def nameserver_option(text: str | None) -> Address | None:
    """Parse ``--dns-server HOST:PORT`` (None: the system's resolver)."""
    return parse_nameserver(text) if text else None


def nat_option(
    stun: str | None, turn: str | None, turn_user: str | None, turn_password_file: Path | None
) -> tuple[Address | None, TurnSettings | None]:
    """Parse ``--stun``, ``--turn``, ``--turn-user`` and ``--turn-password-file``."""
    return nat_servers(stun, turn, turn_user, turn_password_file)


def secret_file_option(path: Path | None, option: str) -> str | None:
    """Read a password file named by ``option`` (stripped); None when not given."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{option}: cannot read {path}: {exc.strerror}") from None
