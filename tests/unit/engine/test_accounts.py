"""Several accounts: ``--account`` groups, config tables into settings, finding one by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import build_parser, main, settings_from
from alexphone.core.errors import ConfigError
from alexphone.engine.account_options import account_from_config
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.net.transport import TransportKind
from alexphone.sip.uri import parse_sip_uri
from alexphone.store.config import AccountConfig


def daemon_settings(tmp_path: Path, *argv: str) -> PhoneSettings:
    return settings_from(build_parser().parse_args(["daemon", "--profile", str(tmp_path), *argv]))


def test_each_account_takes_the_options_after_it(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "c.txt").write_text("gamma\n")
    settings = daemon_settings(
        tmp_path,
        *("--account", "sip:alice@lab.test", "--password-file", str(tmp_path / "a.txt")),
        *("--account", "carol@lab.test", "--transport", "tcp"),
        *("--password-file", str(tmp_path / "c.txt"), "--registrar", "sip:reg.lab.test"),
    )

    alice, carol = settings.accounts
    assert (alice.key, alice.password, alice.transport) == ("sip:alice@lab.test", "alpha", None)
    assert (carol.key, carol.password, carol.transport) == (
        "sip:carol@lab.test",
        "gamma",
        TransportKind.TCP,
    )
    assert carol.registrar == parse_sip_uri("sip:reg.lab.test")
    assert settings.account == alice  # the first is the default


def test_options_before_the_first_account_belong_to_it(tmp_path: Path) -> None:
    (tmp_path / "p").write_text("secret\n")
    settings = daemon_settings(
        tmp_path, "--password-file", str(tmp_path / "p"), "--account", "sip:alice@lab.test"
    )
    assert [a.password for a in settings.accounts] == ["secret"]


def test_one_account_as_before(tmp_path: Path) -> None:
    settings = daemon_settings(tmp_path, "--account", "sip:alice@lab.test", "--expires", "120")
    assert settings.account is not None and settings.account.expires == 120
    assert daemon_settings(tmp_path).accounts == ()


@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        (("--account", "sip:a@x", "--transport", "sctp"), "'sctp' is not udp, tcp or tls"),
        (("--account", "sip:a@x", "--transport", "tcp", "--transport", "udp"), "given twice"),
        (("--account", "sip:a@x", "--account", "sip:a@x"), "given twice"),
        (("--transport", "tcp"), "give --account too"),
        (("--account", "sip:x"), "needs a user part"),
    ],
)
def test_bad_account_options_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], mentions: str
) -> None:
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(["daemon", "--profile", "/nonexistent/p", *argv]))
    err = capsys.readouterr().err
    assert raised.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and mentions in err, err


def test_config_table_becomes_an_account() -> None:
    table = AccountConfig(aor="sip:bob@example.org", transport="tls", proxy="sip:p.example.org")
    account = account_from_config(table, "accounts[1]", "pw")
    assert account.transport is TransportKind.TLS
    assert str(account.first_hop(None)) == "sip:p.example.org;transport=tls"
    assert account.password == "pw"
    udp = account_from_config(AccountConfig(aor="sip:a@b", proxy="sip:p;transport=tcp"), "x", None)
    assert udp.transport is None  # the table's default keeps the proxy URI's transport
    assert str(udp.first_hop(None)) == "sip:p;transport=tcp"


def test_a_bad_config_table_names_it_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^config accounts\[2\]: aor: 'bob@' is not") as caught:
        account_from_config(AccountConfig(aor="bob@"), "accounts[2]", None)
    assert "\n" not in str(caught.value)


def test_first_hop_and_route() -> None:
    account = AccountSettings(parse_sip_uri("sip:alice@lab.test"), transport=TransportKind.TCP)
    phone_proxy = parse_sip_uri("sip:10.0.0.1:5060")
    assert str(account.first_hop(None)) == "sip:lab.test;transport=tcp"
    assert str(account.first_hop(phone_proxy)) == "sip:10.0.0.1:5060;transport=tcp"
    assert str(account.route(phone_proxy)) == "sip:10.0.0.1:5060;transport=tcp"
    assert account.route(None) is None


def accounts(*aors: str) -> PhoneSettings:
    return PhoneSettings(accounts=tuple(AccountSettings(parse_sip_uri(a)) for a in aors))


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("sip:carol@lab.test", "sip:carol@lab.test"),
        ("carol@lab.test", "sip:carol@lab.test"),
        ("CAROL", "sip:carol@lab.test"),
        ("alice@other.test", "sip:alice@other.test"),
    ],
)
def test_find_account_by_aor_address_or_user(name: str, found: str) -> None:
    settings = accounts("sip:alice@lab.test", "sip:carol@lab.test", "sip:alice@other.test")
    assert settings.find_account(name).key == found


@pytest.mark.parametrize(
    ("name", "message"), [("alice", "more than one"), ("dave", "no such account")]
)
def test_find_account_refuses_ambiguous_and_unknown(name: str, message: str) -> None:
    settings = accounts("sip:alice@lab.test", "sip:alice@other.test")
    with pytest.raises(ConfigError, match=message):
        settings.find_account(name)
