"""--stun / --turn values: what parses, and the one-line errors for what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import main
from alexphone.core.errors import ConfigError
from alexphone.engine.alexcall.gathering import nat_servers
from alexphone.net.stun_client import parse_server
from alexphone.net.turn_client import TurnSettings, parse_turn_uri


@pytest.mark.parametrize(
    ("text", "server"),
    [
        ("198.51.100.1:3479", ("198.51.100.1", 3479)),
        ("stun.example.com", ("stun.example.com", 3478)),
        ("stun:stun.example.com:19302", ("stun.example.com", 19302)),
        ("[2001:db8::1]:3478", ("2001:db8::1", 3478)),
        ("[2001:db8::1]", ("2001:db8::1", 3478)),
    ],
)
def test_stun_server_forms(text: str, server: tuple[str, int]) -> None:
    assert parse_server(text) == server


@pytest.mark.parametrize("text", ["", ":3478", "host:0", "host:70000", "host:x", "2001:db8::1"])
def test_bad_stun_server(text: str) -> None:
    with pytest.raises(ConfigError, match="--stun"):
        parse_server(text)


def test_turn_uri() -> None:
    settings = parse_turn_uri("turn:198.51.100.1?transport=tcp", "alice", "alicepw")
    assert settings == TurnSettings(("198.51.100.1", 3478), "alice", "alicepw", "tcp")
    assert "alicepw" not in repr(settings)
    assert settings.label == "turn:198.51.100.1:3478"


@pytest.mark.parametrize(
    ("text", "user", "password", "message"),
    [
        ("198.51.100.1:3478", "a", "p", "use turn:HOST:PORT"),
        ("turns:198.51.100.1", "a", "p", "not supported"),
        ("turn:198.51.100.1?transport=sctp", "a", "p", "transport"),
        ("turn:198.51.100.1:0", "a", "p", "port"),
        ("turn:198.51.100.1", None, "p", "--turn-user"),
        ("turn:198.51.100.1", "a", None, "--turn-password-file"),
    ],
)
def test_bad_turn_values(text: str, user: str | None, password: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_turn_uri(text, user, password)


def test_nat_servers_reads_the_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("alicepw\n")
    stun, turn = nat_servers(None, "turn:192.0.2.1:3478", "alice", secret)
    assert stun is None and turn is not None and turn.password == "alicepw"
    with pytest.raises(ConfigError, match="need --turn"):
        nat_servers("192.0.2.1", None, "alice", None)


@pytest.mark.parametrize(
    "args",
    [
        ["--stun", "a:b:c"],
        ["--turn", "stun:192.0.2.1"],
        ["--turn-user", "alice"],
        ["--turn", "turn:192.0.2.1", "--turn-user", "a", "--turn-password-file", "/nonexistent"],
    ],
)
def test_addresses_bad_option_is_one_line_and_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["addresses", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("alexphone: --") and err.count("\n") == 1
