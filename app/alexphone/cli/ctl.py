"""``alexphone ctl COMMAND``: one request to the running phone of a profile, one reply.

The protocol (JSON lines with an id) is ``engine.control``'s; this only sends the request
and prints the reply. ``events`` keeps printing events until the phone stops or ^C.
Exit status: 0 done, 1 the phone refused (the reason on stderr) or none runs, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path
from typing import IO

from alexphone.cli.phone import default_profile
from alexphone.core.errors import AlexphoneError
from alexphone.engine.control import encode, socket_path

_FIELDS = ("uri", "call", "digits", "consult", "account")


def request_of(args: argparse.Namespace) -> dict[str, object]:
    """Return the request the parsed ``ctl`` options ask for (id 1)."""
    request: dict[str, object] = {"id": 1, "command": args.ctl_command}
    for key in _FIELDS:
        value = getattr(args, key, None)
        if value is not None:
            request[key] = value
    if getattr(args, "end_others", False):
        request["others"] = "end"
    if getattr(args, "calls", None):
        request["calls"] = list(args.calls)
    return request


def run_ctl(args: argparse.Namespace) -> int:
    """Send one request to the profile's phone and print the reply (and, for events, more)."""
    path = socket_path(args.profile or default_profile())
    as_json = getattr(args, "json", False)
    with _connect(path) as sock, sock.makefile("rb") as replies:
        sock.sendall(encode(request_of(args)))
        reply = _read_json(replies)
        if reply is None:
            raise AlexphoneError("the phone closed the connection without a reply")
        if not reply.get("ok"):
            raise AlexphoneError(str(reply.get("error", "refused")))
        if args.ctl_command == "status":
            _print_status(reply, as_json)
        elif args.ctl_command == "events":
            _stream(replies, as_json)
    return 0


def _connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise AlexphoneError(f"no phone runs with this profile (nothing at {path})") from exc
    except OSError:
        sock.close()
        raise
    return sock


def _read_json(stream: IO[bytes]) -> dict[str, object] | None:
    line = stream.readline()
    if not line:
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise AlexphoneError(f"the phone sent {line!r}")
    return message


def _print_status(reply: dict[str, object], as_json: bool) -> None:
    calls = reply.get("calls")
    if not isinstance(calls, list):
        raise AlexphoneError("the phone's status has no calls")
    if as_json:
        print(json.dumps({"calls": calls}), flush=True)
        return
    if not calls:
        print("no calls")
    for call in calls:
        print(f"{call['call_id']} {call['direction']} {call['state']} {call['remote']}")


def _stream(replies: IO[bytes], as_json: bool) -> None:
    try:
        while (event := _read_json(replies)) is not None:  # ends when the phone stops
            if as_json:
                print(json.dumps(event), flush=True)
            else:
                name = event.pop("event", "?")
                fields = " ".join(f"{k}={v}" for k, v in event.items() if v not in ("", None))
                print(f"{name}: {fields}", flush=True)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # our reader went away (| head)
        sys.stderr.close()
