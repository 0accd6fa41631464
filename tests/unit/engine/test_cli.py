"""The command line's contract for bad input: one line saying what to fix, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import build_parser, main, settings_from
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
