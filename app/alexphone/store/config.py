"""The profile's ``config.toml``: read with tomllib, written by a small TOML writer.

Every section is a frozen dataclass whose defaults are the values used when a
key is missing; a key of the wrong type is a ConfigError naming it, unknown
keys are kept out (a newer version's keys do not crash an older one).

Accounts are an array of tables, ``[[accounts]]``, the first being the default for
outgoing calls. A file of an older version has one ``[account]`` table instead; it is
read as the only account (when it names one) and written back as ``[[accounts]]``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alexphone.core.errors import ConfigError
from alexphone.store.profile import make_profile

CONFIG_NAME = "config.toml"
Value = str | int | float | bool | tuple[str, ...]


TRANSPORTS = ("udp", "tcp", "tls")


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """A SIP account: address of record, login, where to register, how to get there."""

    aor: str = ""
    username: str = ""
    display_name: str = ""
    registrar: str = ""
    proxy: str = ""
    transport: str = "udp"
    expires: int = 600


@dataclass(frozen=True, slots=True)
class AudioConfig:
    """Audio devices by name ("default" = the system's) and codecs in order of preference."""

    input: str = "default"
    output: str = "default"
    ringer: str = "default"
    codecs: tuple[str, ...] = ("opus", "pcmu", "pcma")
    echo_cancel: bool = True  # on sound cards: echo cancellation and noise suppression
    encryption: str = "optional"  # off | optional | mandatory | dtls (--media-encryption)


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Listeners, NAT helpers and LAN discovery."""

    listen: tuple[str, ...] = ()
    stun: str = ""
    turn: str = ""
    turn_user: str = ""
    lan_discovery: bool = True


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The whole config file."""

    accounts: tuple[AccountConfig, ...] = ()
    audio: AudioConfig = field(default_factory=AudioConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)

    @property
    def account(self) -> AccountConfig:
        """Return the default (first) account, an empty one when there is none."""
        return self.accounts[0] if self.accounts else AccountConfig()

    def with_account(self, index: int, account: AccountConfig | None) -> AppConfig:
        """Return a copy with account ``index`` replaced (appended past the end, None: removed)."""
        accounts = list(self.accounts)
        if account is None:
            del accounts[index]
        elif index >= len(accounts):
            accounts.append(account)
        else:
            accounts[index] = account
        return dataclasses.replace(self, accounts=tuple(accounts))


_SECTIONS: dict[str, type[Any]] = {"audio": AudioConfig, "network": NetworkConfig}


def _section(kind: type[Any], table: object, name: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"config [{name}] must be a table")
    default = kind()
    values: dict[str, Value] = {}
    for item in dataclasses.fields(kind):
        if item.name not in table:
            continue
        value = table[item.name]
        expected = getattr(default, item.name)
        if isinstance(expected, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"config {name}.{item.name}: expected a list of strings")
            value = tuple(value)
        elif type(value) is not type(expected):
            kind_name = type(expected).__name__
            raise ConfigError(f"config {name}.{item.name}: expected {kind_name}, got {value!r}")
        values[item.name] = value
    return kind(**values)


def parse_config(text: str) -> AppConfig:
    """Parse TOML text into an AppConfig; ConfigError (one line) on bad TOML or a bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {exc}") from None
    sections = {name: _section(kind, data.get(name, {}), name) for name, kind in _SECTIONS.items()}
    return AppConfig(accounts=_accounts(data), **sections)


def _accounts(data: dict[str, Any]) -> tuple[AccountConfig, ...]:
    """The ``[[accounts]]`` tables, or an older file's single ``[account]``; checked."""
    if "accounts" in data and "account" in data:
        raise ConfigError("config: give [[accounts]] or the older [account], not both")
    if "account" in data:
        single = _section(AccountConfig, data["account"], "account")
        found: tuple[AccountConfig, ...] = (single,) if single.aor else ()
        names = ["account"]
    else:
        tables = data.get("accounts", [])
        if not isinstance(tables, list):
            raise ConfigError("config accounts must be an array of tables ([[accounts]])")
        names = [f"accounts[{i}]" for i in range(len(tables))]
        found = tuple(_section(AccountConfig, t, n) for t, n in zip(tables, names, strict=True))
    seen: set[str] = set()
    for account, name in zip(found, names, strict=False):
        if not account.aor:
            raise ConfigError(f"config {name}.aor: every account needs a SIP address")
        if account.transport not in TRANSPORTS:
            raise ConfigError(
                f"config {name}.transport: {account.transport!r} is not udp, tcp or tls"
            )
        if account.aor.lower() in seen:
            raise ConfigError(f"config {name}.aor: {account.aor} is given twice")
        seen.add(account.aor.lower())
    return found


def unknown_keys(text: str) -> tuple[str, ...]:
    """Name the sections and keys of TOML ``text`` this version does not know (``audio.volume``).

    ConfigError if the text is not TOML.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {exc}") from None
    known: dict[str, type[Any]] = {**_SECTIONS, "account": AccountConfig}
    found: list[str] = []
    for name, table in data.items():
        tables = table if name == "accounts" and isinstance(table, list) else [table]
        kind = AccountConfig if name == "accounts" else known.get(name)
        if kind is None:
            found.append(name)
            continue
        keys = {item.name for item in dataclasses.fields(kind)}
        for entry in tables:
            if isinstance(entry, dict):
                found.extend(f"{name}.{key}" for key in entry if key not in keys)
    return tuple(dict.fromkeys(found))


def load_config(profile: Path) -> AppConfig:
    """Read ``config.toml`` from the profile; defaults when there is none."""
    path = profile / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AppConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return parse_config(text)


def load_config_or_defaults(profile: Path) -> AppConfig:
    """Read ``config.toml``, or the defaults if it cannot be read (already reported at start)."""
    try:
        return load_config(profile)
    except ConfigError:
        return AppConfig()


def _toml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    for char, code in (("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        escaped = escaped.replace(char, code)
    escaped = "".join(c if ord(c) >= 0x20 and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def dumps_config(config: AppConfig) -> str:
    """Return ``config`` as TOML text that parse_config reads back to an equal object."""
    lines: list[str] = []
    tables: list[tuple[str, Any]] = [("[audio]", config.audio), ("[network]", config.network)]
    tables += [("[[accounts]]", account) for account in config.accounts]
    for title, section in tables:
        lines.append(title)
        lines.extend(
            f"{key.name} = {_toml_value(getattr(section, key.name))}"
            for key in dataclasses.fields(section)
        )
        lines.append("")
    return "\n".join(lines)


def save_config(profile: Path, config: AppConfig) -> None:
    """Write ``config.toml`` atomically (a crash leaves the old file or the new one)."""
    make_profile(profile)
    path = profile / CONFIG_NAME
    temporary = path.with_suffix(".toml.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(dumps_config(config))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
