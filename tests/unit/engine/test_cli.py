"""The command line's contract: common options everywhere; bad input is one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import build_parser, main, settings_from
from alexphone.cli.lookups import peer_table
from alexphone.engine.events import PeerAdded, PeerKind
from alexphone.media.audio_spec import EchoControl


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        raise SystemExit(main(list(argv)))
    err = capsys.readouterr().err
    return int(stopped.value.code or 0), err


@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        (("call", "sip:bob@[::1"), "URI"),
        (("call", "sip:", "--listen", "udp:127.0.0.1:0"), "URI"),
        (("daemon", "--listen", "udp:not-an-ip:5060"), "listen"),
        (("daemon", "--listen", "carrier-pigeon:1.2.3.4:5"), "listen"),
        (("daemon", "--listen", "udp:127.0.0.1:99999"), "port"),
        (("daemon", "--account", "sip:example.com"), "user part"),
        (("daemon", "--proxy", "sip:bad host"), "--proxy"),
        (("daemon", "--auto-answer", "soon"), "auto-answer"),
        (("daemon", "--no-such-option"), "no-such-option"),
        (("daemon", "--echo-cancel", "maybe"), "--echo-cancel"),
        (("daemon", "--sip-t1", "5"), "--sip-t1"),
        (("daemon", "--sip-t1", "4001"), "--sip-t1"),
        (("daemon", "--sip-t1", "soon"), "--sip-t1"),
    ],
)
def test_bad_option_prints_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], mentions: str
) -> None:
    code, err = run(capsys, *argv)

    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert mentions.lower() in err.lower()


def test_unreadable_password_file_names_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(
        capsys,
        "daemon",
        "--account",
        "sip:alice@lab.test",
        "--password-file",
        str(tmp_path / "missing"),
    )

    assert code == 2
    assert "--password-file" in err and len(err.strip().splitlines()) == 1


def test_no_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "daemon" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ((), EchoControl.AUTO),
        (("--echo-cancel", "off"), EchoControl.OFF),
        (("--echo-cancel", "ON"), EchoControl.ON),
    ],
)
def test_echo_cancel_option_reaches_the_settings(
    argv: tuple[str, ...], expected: EchoControl, tmp_path: Path
) -> None:
    args = build_parser().parse_args(["daemon", "--profile", str(tmp_path), *argv])
    assert settings_from(args).echo_cancel is expected


@pytest.mark.parametrize(("argv", "timer_f"), [((), 32.0), (("--sip-t1", "100"), 6.4)])
def test_sip_t1_option_scales_the_transaction_timers(
    argv: tuple[str, ...], timer_f: float, tmp_path: Path
) -> None:
    args = build_parser().parse_args(["daemon", "--profile", str(tmp_path), *argv])
    timers = settings_from(args).sip_timers

    assert timers.f == pytest.approx(timer_f)
    assert timers.b == timers.h == timers.f  # all 64*T1 (RFC 3261 Table 4)
    assert (timers.t2, timers.t4) == (4.0, 5.0)  # T1 alone moves


@pytest.mark.parametrize(
    "argv",
    [
        ("daemon",),
        ("call", "sip:bob@127.0.0.1"),
        ("gui",),
        ("peers",),
        ("resolve", "sip:bob@127.0.0.1"),
        ("addresses",),
        ("cache",),
    ],
)
def test_every_subcommand_takes_the_common_options(argv: tuple[str, ...]) -> None:
    args = build_parser().parse_args([*argv, "--profile", "/tmp/p", "--json", "-vv"])
    assert (args.profile, args.json, args.verbose) == (Path("/tmp/p"), True, 2)


def test_peers_table_has_one_aligned_row_per_peer() -> None:
    peers = [
        PeerAdded("bob's laptop", "sip:bob@192.0.2.7:5060", ("192.0.2.7",), True, PeerKind.UA),
        PeerAdded("pbx", "sip:192.0.2.1", ("192.0.2.1", "fd00::1"), False, PeerKind.PROXY),
    ]
    header, bob, pbx = peer_table(peers)
    assert header.split() == ["NAME", "ROLE", "ALEX", "URI", "ADDRESSES"]
    assert bob.startswith("bob's laptop  ua     yes   sip:bob@192.0.2.7:5060  192.0.2.7")
    assert pbx.index("sip:192.0.2.1") == bob.index("sip:bob") == header.index("URI")
    assert pbx.endswith("192.0.2.1 fd00::1")
    assert peer_table([]) == ["no SIP peers seen on the LAN"]


def test_cache_of_an_unusable_profile_fails_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "alexphone.db").write_bytes(b"not a database" * 100)
    code, err = run(capsys, "cache", "--profile", str(tmp_path))
    assert code == 1 and len(err.strip().splitlines()) == 1
