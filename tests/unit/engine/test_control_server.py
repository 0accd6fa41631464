"""The control socket: mode 0600, stale sockets replaced, bad lines answered, events relayed."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import Command, HangUp
from alexphone.engine.control import socket_path
from alexphone.engine.control_server import ControlServer, ControlSocketBusy
from alexphone.engine.events import CallChanged, CallState, Direction


@pytest.fixture
def profile() -> Iterator[Path]:
    # pytest's tmp_path can exceed the ~107 bytes a Unix socket path may have
    with tempfile.TemporaryDirectory(prefix="ctl", dir="/tmp") as name:
        yield Path(name) / "profile"


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
) -> dict[str, object]:
    writer.write(line)
    reply = json.loads(await reader.readline())
    assert isinstance(reply, dict)
    return reply


def test_requests_reach_the_phone_and_bad_lines_keep_the_connection(profile: Path) -> None:
    submitted: list[Command] = []

    async def main() -> None:
        server = ControlServer(socket_path(profile))
        await server.start()
        mode = socket_path(profile).stat().st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600
        assert [p.name for p in profile.iterdir()] == ["ctl.sock"]  # no staging left
        reader, writer = await asyncio.open_unix_connection(socket_path(profile))
        reply = await _request(reader, writer, b'{"id": 1, "command": "dial", "uri": "sip:a@b"}\n')
        assert reply == {"id": 1, "ok": False, "error": "the phone is still starting"}
        server.attach(PhoneClient(asyncio.get_running_loop(), submitted.append))
        server.publish(CallChanged("c1", Direction.OUT, "sip:a@b", CallState.CALLING))
        assert (await _request(reader, writer, b"}{\n"))["ok"] is False
        reply = await _request(reader, writer, b'{"id": 2, "command": "hangup"}\n')
        assert reply == {"id": 2, "ok": True}
        writer.close()
        await server.close()
        assert not socket_path(profile).exists()

    asyncio.run(main())
    assert submitted == [HangUp("c1")]


def test_a_subscriber_receives_every_event_after_its_reply(profile: Path) -> None:
    async def main() -> list[bytes]:
        server = ControlServer(socket_path(profile))
        await server.start()
        reader, writer = await asyncio.open_unix_connection(socket_path(profile))
        reply = await _request(reader, writer, b'{"id": "e", "command": "events"}\n')
        assert reply == {"id": "e", "ok": True}
        ended = CallChanged("c1", Direction.IN, "sip:a@b", CallState.ENDED, 200)
        server.publish(CallChanged("c1", Direction.IN, "sip:a@b", CallState.RINGING))
        server.publish(ended)
        lines = [await reader.readline(), await reader.readline()]
        await server.close()
        assert await reader.readline() == b""  # closing the phone ends the stream
        return lines

    first, second = asyncio.run(main())
    assert json.loads(first)["state"] == "ringing"
    assert json.loads(second) == {
        "event": "call.state",
        "call_id": "c1",
        "direction": "in",
        "remote": "sip:a@b",
        "state": "ended",
        "code": 200,
        "reason": "",
        "display_name": "",
        "account": "",
    }


def test_an_overlong_line_is_answered_then_the_connection_closes(profile: Path) -> None:
    async def main() -> tuple[dict[str, object], bytes]:
        server = ControlServer(socket_path(profile))
        await server.start()
        reader, writer = await asyncio.open_unix_connection(socket_path(profile))
        reply = await _request(reader, writer, b"x" * 20000 + b"\n")
        rest = await reader.read()
        await server.close()
        return reply, rest

    reply, rest = asyncio.run(main())
    assert reply["ok"] is False
    assert "longer than" in str(reply["error"])
    assert rest == b""


def test_a_socket_left_by_a_stopped_phone_is_replaced(profile: Path) -> None:
    profile.mkdir()
    left = socket.socket(socket.AF_UNIX)
    left.bind(str(socket_path(profile)))  # bound, never listening: its phone is gone
    left.close()

    async def main() -> None:
        server = ControlServer(socket_path(profile))
        await server.start()
        _, writer = await asyncio.open_unix_connection(socket_path(profile))
        writer.close()
        await server.close()

    asyncio.run(main())


def test_a_live_phone_keeps_its_socket(profile: Path) -> None:
    async def main() -> None:
        first = ControlServer(socket_path(profile))
        await first.start()
        with pytest.raises(ControlSocketBusy, match="another phone serves this profile"):
            await ControlServer(socket_path(profile)).start()
        assert socket_path(profile).exists()
        await first.close()

    asyncio.run(main())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_connect(profile: Path) -> None:
    profile.mkdir(parents=True)
    for directory in (profile.parent, profile):
        directory.chmod(0o755)  # only the socket's own mode keeps the other user out

    probe = (
        "import os, socket; os.setgid(65534); os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n s.connect(os.environ['SOCK'])\nexcept PermissionError:\n print('refused')\n"
        "else:\n print('connected')"
    )
    env = {**os.environ, "SOCK": str(socket_path(profile))}

    async def connect_as_nobody() -> str:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", probe], env=env, capture_output=True, text=True
        )
        return done.stdout.strip() or done.stderr

    async def main() -> tuple[str, str]:
        server = ControlServer(socket_path(profile))
        await server.start()
        as_made = await connect_as_nobody()
        socket_path(profile).chmod(0o666)  # the control: the same client, the mode opened
        opened = await connect_as_nobody()
        await server.close()
        return as_made, opened

    as_made, opened = asyncio.run(main())
    assert as_made == "refused"
    assert opened == "connected"  # so the refusal came from the socket's mode, not the path
