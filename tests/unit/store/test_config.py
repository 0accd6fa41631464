"""config.toml: defaults, round trip through the writer, typed errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from alexphone.core.errors import ConfigError
from alexphone.store.config import (
    AccountConfig,
    AppConfig,
    AudioConfig,
    NetworkConfig,
    dumps_config,
    load_config,
    parse_config,
    save_config,
    unknown_keys,
)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == AppConfig()


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    config = AppConfig(
        (
            AccountConfig(aor="sip:alice@example.com", display_name='A "quoted"\\ name\n'),
            AccountConfig(aor="sip:bob@example.org", transport="tcp", expires=120),
        ),
        AudioConfig(input="tone:440", codecs=("pcma", "opus")),
        NetworkConfig(listen=("udp:0.0.0.0:5070",), stun="stun.example:3478", lan_discovery=False),
    )
    save_config(tmp_path, config)
    assert load_config(tmp_path) == config
    assert not list(tmp_path.glob("*.tmp"))


def test_partial_file_fills_defaults_and_ignores_unknown_keys() -> None:
    config = parse_config('[account]\naor = "sip:a@b"\nfuture = 1\n[later]\nx = 2\n')
    assert config.account == AccountConfig(aor="sip:a@b")
    assert config.audio == AudioConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[account]\nexpires = 'soon'\n", "account.expires: expected int"),
        ("[[accounts]]\naor = 'sip:a@b'\nexpires = 'x'\n", r"accounts\[0\].expires: expected int"),
        (
            "[[accounts]]\naor = 'sip:a@b'\n[[accounts]]\nusername = 'b'\n",
            r"accounts\[1\].aor: every",
        ),
        ("[[accounts]]\naor = 'sip:a@b'\ntransport = 'sctp'\n", r"accounts\[0\].transport: 'sctp'"),
        ("[[accounts]]\naor = 'sip:a@b'\n[[accounts]]\naor = 'sip:a@b'\n", "given twice"),
        ("accounts = 3\n", "array of tables"),
        ("[account]\naor = 'sip:a@b'\n[[accounts]]\naor = 'sip:c@d'\n", "not both"),
        ("[audio]\ncodecs = 'opus'\n", "audio.codecs: expected a list"),
        ("account = 3\n", r"\[account\] must be a table"),
        ("[account\n", "config:"),
    ],
)
def test_bad_values_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_writer_output_is_plain_toml() -> None:
    text = dumps_config(AppConfig())
    assert '[audio]\ninput = "default"' in text
    assert 'codecs = ["opus", "pcmu", "pcma"]' in text
    assert "lan_discovery = true" in text


def test_an_older_single_account_file_is_read_as_the_only_account() -> None:
    config = parse_config('[account]\naor = "sip:a@b"\ntransport = "tcp"\n')
    assert config.accounts == (AccountConfig(aor="sip:a@b", transport="tcp"),)
    assert "[[accounts]]" in dumps_config(config) and "[account]\n" not in dumps_config(config)


def test_an_older_file_without_an_account_has_none() -> None:
    assert parse_config('[account]\naor = ""\n').accounts == ()


def test_errors_are_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("[[accounts]]\naor = 'sip:a@b'\ntransport = 'x'\n")
    assert "\n" not in str(caught.value)


def test_unknown_keys_inside_account_tables_are_named() -> None:
    text = "[[accounts]]\naor = 'sip:a@b'\ncolour = 1\n[[accounts]]\naor = 'sip:c@d'\n"
    assert unknown_keys(text) == ("accounts.colour",)


def test_with_account_replaces_appends_and_removes() -> None:
    one, two = AccountConfig(aor="sip:a@b"), AccountConfig(aor="sip:c@d")
    config = AppConfig().with_account(0, one).with_account(1, two)
    assert config.accounts == (one, two)
    assert config.with_account(0, None).accounts == (two,)
    assert config.with_account(1, replace(two, expires=90)).accounts[1].expires == 90
