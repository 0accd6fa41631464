"""Decides when running calls follow a network move: at once, or folded into one later step.

Theory of operation. The network monitor reports each settled change of our addresses or
default route (``net/change_settler.py`` already folds one burst of kernel messages and holds
down 250 ms after a report). A link that flaps between two networks can still be reported a
few times within a second, and each report would send every call's peer a re-INVITE. The
guard turns reports into *follow* steps:

- the first report after a quiet period is followed at once (a real move is never delayed);
- a follow step in which no call lost the address its peer sends to (no call, or a second
  uplink came up beside the first) holds nothing back, so the real move that follows is not
  delayed;
- reports within ``hold`` seconds of a follow are folded: when the hold ends, the calls follow
  once more only if the network then differs from the one they last followed to, so a flap
  that ends where it began costs no second re-INVITE.

A report without a default route is not a network the calls can follow to; the caller does
not feed it here (it tells the user instead, ``engine/move_follow.py``).

Sans-I/O: ``moved(network, now)``, ``get_timer()``, ``handle_timer(now)``; ``next_follow()``
drains the networks to follow to. States and inputs are enums, transitions one table.
"""

from __future__ import annotations

from collections import deque
from enum import Enum

HOLD = 1.0  # seconds after a follow during which further moves are folded into one


class GuardState(Enum):
    """Where the guard is."""

    READY = "ready"  # no follow for ``hold`` seconds: the next move is followed at once
    HOLDING = "holding"  # a follow went out less than ``hold`` ago, nothing new since
    HOLDING_MOVED = "holding_moved"  # ... and the network moved again meanwhile


class GuardInput(Enum):
    """What happened, as the table sees it."""

    MOVED = "moved"  # the monitor reported a new network
    HOLD_OVER = "hold_over"  # the hold ended and the network is the one followed last
    HOLD_OVER_MOVED = "hold_over_moved"  # the hold ended on another network than followed
    IDLE = "idle"  # no call lost its address in the step just taken


# (state, input) -> (next state, follow now?)
TABLE: dict[tuple[GuardState, GuardInput], tuple[GuardState, bool]] = {
    (GuardState.READY, GuardInput.MOVED): (GuardState.HOLDING, True),
    (GuardState.HOLDING, GuardInput.MOVED): (GuardState.HOLDING_MOVED, False),
    (GuardState.HOLDING_MOVED, GuardInput.MOVED): (GuardState.HOLDING_MOVED, False),
    (GuardState.HOLDING, GuardInput.HOLD_OVER): (GuardState.READY, False),
    (GuardState.HOLDING_MOVED, GuardInput.HOLD_OVER): (GuardState.READY, False),
    (GuardState.HOLDING_MOVED, GuardInput.HOLD_OVER_MOVED): (GuardState.HOLDING, True),
    (GuardState.HOLDING, GuardInput.IDLE): (GuardState.READY, False),
}


class MoveGuard:
    """Turns reported network moves into follow steps, at most one per ``hold`` seconds."""

    def __init__(self, hold: float = HOLD) -> None:
        if hold < 0:
            raise ValueError("the hold cannot be negative")
        self._hold = hold
        self.state = GuardState.READY
        self._latest: str | None = None  # the network last reported
        self._followed: str | None = None  # the network the calls last followed to
        self._due: float | None = None
        self._follows: deque[str] = deque()
        self.folded = 0  # reports folded into a later step (or into none)

    def moved(self, network: str, now: float) -> None:
        """The monitor reported ``network`` (its fingerprint) at ``now``."""
        self._latest = network
        self._step(GuardInput.MOVED, now)

    def get_timer(self) -> float | None:
        """When the hold ends, or None."""
        return self._due

    def handle_timer(self, now: float) -> None:
        """End the hold if it is over: follow once more if the network moved meanwhile."""
        if self._due is None or now < self._due:
            return
        self._due = None
        moved = self.state is GuardState.HOLDING_MOVED and self._latest != self._followed
        self._step(GuardInput.HOLD_OVER_MOVED if moved else GuardInput.HOLD_OVER, now)

    def idle(self, now: float) -> None:
        """No call lost its address in the step just taken: do not hold the next move back."""
        self._step(GuardInput.IDLE, now)
        self._due = None

    def next_follow(self) -> str | None:
        """The next network the calls should follow to now, or None."""
        return self._follows.popleft() if self._follows else None

    def _step(self, event: GuardInput, now: float) -> None:
        self.state, follow = TABLE[(self.state, event)]
        if follow:
            assert self._latest is not None
            self._followed = self._latest
            self._follows.append(self._latest)
            self._due = now + self._hold
        elif event is GuardInput.MOVED:
            self.folded += 1
