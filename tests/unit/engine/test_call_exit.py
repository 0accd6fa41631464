"""``alexphone call``'s exit status follows how the call ended."""

from __future__ import annotations

import pytest

from alexphone.cli.phone import _CallScript
from alexphone.engine.call_dtls import MEDIA_ENCRYPTION_FAILED
from alexphone.engine.commands import Command, Shutdown
from alexphone.engine.events import CallChanged, CallState, Direction, Event


class _Client:
    """Records what the script submits (the engine is not needed)."""

    def __init__(self) -> None:
        self.submitted: list[Command] = []

    def submit(self, command: Command) -> None:
        self.submitted.append(command)


def _ended(code: int | None, reason: str) -> CallChanged:
    return CallChanged("c1", Direction.OUT, "sip:bob@192.0.2.9", CallState.ENDED, code, reason)


@pytest.mark.parametrize(
    ("answered", "code", "reason", "normal"),
    [
        (True, None, "", True),  # we hung up after --duration
        (True, 200, "", True),  # the peer's BYE
        (True, None, MEDIA_ENCRYPTION_FAILED, False),  # the DTLS handshake failed
        (False, 488, "Not Acceptable Here", False),
        (False, 480, "Temporarily Unavailable", False),
    ],
)
def test_the_call_ends_normally_only_if_answered_and_not_failed(
    answered: bool, code: int | None, reason: str, normal: bool
) -> None:
    seen: list[Event] = []
    script = _CallScript("sip:bob@192.0.2.9", 3.0, seen.append)
    client = _Client()
    script.client = client  # type: ignore[assignment]
    script.answered = answered
    script.emit(_ended(code, reason))
    assert script.ended_normally is normal
    assert seen and isinstance(client.submitted[-1], Shutdown)
