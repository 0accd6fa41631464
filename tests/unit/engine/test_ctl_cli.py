"""``alexphone ctl``: wrong arguments are one line and exit 2; no phone is one line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import build_parser, main
from alexphone.cli.ctl import request_of


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        raise SystemExit(main(list(argv)))
    return int(stopped.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ("ctl",),
        ("ctl", "dial"),
        ("ctl", "dtmf", "c1"),
        ("ctl", "reboot"),
        ("ctl", "hangup", "c1", "c2"),
        ("ctl", "status", "--yaml"),
        ("ctl", "transfer", "c1"),  # neither a URI nor --consult
        ("ctl", "transfer", "c1", "sip:carol@h", "--consult", "c2"),  # both
    ],
)
def test_wrong_arguments_print_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("alexphone: ")


def test_without_a_running_phone_ctl_says_so_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(capsys, "ctl", "--profile", str(tmp_path), "status")
    assert code == 1
    assert err == f"alexphone: no phone runs with this profile (nothing at {tmp_path}/ctl.sock)\n"


@pytest.mark.parametrize(
    ("argv", "request_"),
    [
        (("dial", "sip:bob@h"), {"command": "dial", "uri": "sip:bob@h"}),
        (
            ("dial", "--account", "carol", "bob"),
            {"command": "dial", "uri": "bob", "account": "carol"},
        ),
        (("answer",), {"command": "answer"}),
        (("hangup", "c1"), {"command": "hangup", "call": "c1"}),
        (("dtmf", "c1", "123#"), {"command": "dtmf", "call": "c1", "digits": "123#"}),
        (("status", "--json"), {"command": "status"}),
        (("answer", "--end-others"), {"command": "answer", "others": "end"}),
        (("swap",), {"command": "swap"}),
        (("resume", "c2"), {"command": "resume", "call": "c2"}),
        (("merge", "c1", "c2"), {"command": "merge", "calls": ["c1", "c2"]}),
        (("merge",), {"command": "merge"}),
        (("transfer", "c1", "sip:c@h"), {"command": "transfer", "call": "c1", "uri": "sip:c@h"}),
        (
            ("transfer", "c1", "--consult", "c2"),
            {"command": "transfer", "call": "c1", "consult": "c2"},
        ),
    ],
)
def test_options_become_the_request(argv: tuple[str, ...], request_: dict[str, object]) -> None:
    args = build_parser().parse_args(["ctl", *argv])
    assert request_of(args) == {"id": 1, **request_}
