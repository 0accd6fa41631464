"""config.toml: defaults, round trip through the writer, typed errors."""

from __future__ import annotations

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
)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == AppConfig()


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    config = AppConfig(
        AccountConfig(aor="sip:alice@example.com", display_name='A "quoted"\\ name\n', expires=120),
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
