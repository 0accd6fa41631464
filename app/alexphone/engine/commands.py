"""Commands the outside gives the engine: frozen dataclasses, imperative names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from alexphone.engine.events import DeviceKind


class OtherCalls(Enum):
    """What answering or placing a call does to the calls already up."""

    HOLD = "hold"  # put them on hold (a desk phone's "Hold & answer")
    END = "end"  # hang them up ("End & answer")
    KEEP = "keep"  # leave them as they are: --auto-answer takes calls side by side


@dataclass(frozen=True, slots=True)
class PlaceCall:
    """Call ``uri`` (a sip:/sips: URI or a name the engine can resolve) from ``account``.

    ``account`` names one of the phone's accounts (AoR, user@domain or user); None: the first.
    """

    uri: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """Accept the incoming call ``call_id``; the calls already up are held (or ended)."""

    call_id: str
    others: OtherCalls = OtherCalls.HOLD


@dataclass(frozen=True, slots=True)
class Decline:
    """Refuse the incoming call ``call_id`` (603 Decline, or 486 Busy Here when ``busy``)."""

    call_id: str
    busy: bool = False


@dataclass(frozen=True, slots=True)
class HangUp:
    """End the call ``call_id`` whatever its state (CANCEL, BYE or a final response)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class Hold:
    """Put the call on hold (re-INVITE with a=sendonly); ``on=False`` is ``Resume``."""

    call_id: str
    on: bool = True


@dataclass(frozen=True, slots=True)
class Resume:
    """Take call ``call_id`` off hold (re-INVITE with a=sendrecv), holding the others."""

    call_id: str


@dataclass(frozen=True, slots=True)
class Swap:
    """Hold the call we talk with and resume ``call_id`` (None: the call held last)."""

    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """Join calls into a local conference (empty: every call that is up); each party hears
    us and the others, never itself."""

    call_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transfer:
    """Transfer call ``call_id`` (RFC 5589): blind to ``target``, or attended to ``consult``.

    Attended: ``consult`` names our call with the target (the consultation); the
    transferee is asked to call that party with a Replaces naming it (RFC 5589 §7).
    """

    call_id: str
    target: str = ""
    consult: str | None = None


@dataclass(frozen=True, slots=True)
class Shutdown:
    """End every call, unregister, and stop the engine."""


@dataclass(frozen=True, slots=True)
class Mute:
    """Stop (or, with ``on=False``, resume) sending our microphone in call ``call_id``."""

    call_id: str
    on: bool = True


@dataclass(frozen=True, slots=True)
class SendDtmf:
    """Send ``digits`` (0-9, *, #, A-D) in call ``call_id`` as RFC 4733 telephone-events."""

    call_id: str
    digits: str


@dataclass(frozen=True, slots=True)
class ListAudioDevices:
    """Rescan the sound cards (hot-plug) and announce them as an ``audio.devices`` event."""


@dataclass(frozen=True, slots=True)
class ClearAlexCache:
    """Forget the ALEX cache entries of ``peer`` (every entry if None); answered by alex.cache."""

    peer: str | None = None


@dataclass(frozen=True, slots=True)
class ReportStats:
    """Announce the RTP counters of call ``call_id`` now (a ``call.stats``; none without media)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class LocateRegistrar:
    """Find where ``domain``'s SIP server is (RFC 3263); answered by ``registrar.located``."""

    domain: str


@dataclass(frozen=True, slots=True)
class TryAccount:
    """REGISTER ``aor`` once with ``password``, then unregister; answered by ``account.tried``.

    Nothing is kept: the phone's own account (if any) is untouched.
    """

    aor: str
    password: str


@dataclass(frozen=True, slots=True)
class ListCalls:
    """Announce the calls that have not ended (answered by ``calls.listed``)."""


@dataclass(frozen=True, slots=True)
class PlaySound:
    """Play a WAV (ringtone, ringback, test tone) on ``device`` (as ``--audio-out`` names one)."""

    path: str
    device: str = "default"
    repeat: bool = False  # loop until StopSound


@dataclass(frozen=True, slots=True)
class RecordSound:
    """Record ``seconds`` from microphone ``device`` (as ``--audio-in`` names one) into a WAV.

    Answered by ``sound.recording`` events: the level as it goes, then the end. StopSound
    stops it early.
    """

    path: str
    device: str = "default"
    seconds: float = 3.0


@dataclass(frozen=True, slots=True)
class SwitchAudioDevice:
    """Use sound card ``device`` ("default" for the system's) for the microphone or speaker.

    Running calls move to it without restarting their streams; later calls start on it.
    """

    kind: DeviceKind
    device: str


@dataclass(frozen=True, slots=True)
class StopSound:
    """Stop the sound PlaySound started."""


Command = (
    PlaceCall
    | Answer
    | Decline
    | HangUp
    | Hold
    | Resume
    | Swap
    | Merge
    | Mute
    | SendDtmf
    | Transfer
    | ListAudioDevices
    | ClearAlexCache
    | ReportStats
    | LocateRegistrar
    | TryAccount
    | ListCalls
    | PlaySound
    | RecordSound
    | StopSound
    | SwitchAudioDevice
    | Shutdown
)
