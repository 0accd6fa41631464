"""Events the engine emits: frozen dataclasses, one JSON object each (ARCHITECTURE.md §6)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import ClassVar


class RegistrationState(Enum):
    """What a user sees of an account's registration."""

    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"
    UNREGISTERED = "unregistered"


class CallState(Enum):
    """What a user sees of a call."""

    CALLING = "calling"
    RINGING = "ringing"
    EARLY = "early"
    CONFIRMED = "confirmed"
    HELD = "held"
    ENDED = "ended"


class Direction(Enum):
    """Who placed the call."""

    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every engine event; ``name`` is the JSON ``event`` field."""

    name: ClassVar[str] = "event"

    def to_json(self) -> dict[str, object]:
        """Return the event's fields as JSON-ready values (enums as their values)."""
        fields: dict[str, object] = {"event": self.name}
        for key, value in asdict(self).items():
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            fields[key] = value
        return fields


@dataclass(frozen=True, slots=True)
class UaReady(Event):
    """The phone listens and is ready for commands."""

    name: ClassVar[str] = "ua.ready"
    listen: tuple[str, ...]
    profile: str


@dataclass(frozen=True, slots=True)
class RegistrationChanged(Event):
    """An account's registration moved to a new state."""

    name: ClassVar[str] = "registration.state"
    account: str
    state: RegistrationState
    code: int | None = None
    reason: str = ""
    expires: int | None = None


@dataclass(frozen=True, slots=True)
class CallChanged(Event):
    """A call moved to a new state; ``code``/``reason`` say why it ended."""

    name: ClassVar[str] = "call.state"
    call_id: str
    direction: Direction
    remote: str
    state: CallState
    code: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ErrorReported(Event):
    """Something failed that no other event describes."""

    name: ClassVar[str] = "error"
    where: str
    message: str
