"""Events the engine emits, one JSON object each (docs/ARCHITECTURE.md "Events")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import ClassVar

from alexphone.engine.event_kinds import (
    CacheOutcome,
    CallMode,
    CallState,
    CheckState,
    DeviceKind,
    Direction,
    Encryption,
    ErrorSource,
    Flow,
    MediaDirection,
    MoveOutcome,
    NetworkState,
    PathKind,
    PeerKind,
    ProxySource,
    RegistrationState,
    TransferRole,
    TransferState,
    TrialOutcome,
)

# The enums are defined in event_kinds; events.py names them too, for every face that
# reads events.
__all__ = [
    "CacheOutcome",
    "CallMode",
    "CallState",
    "CheckState",
    "DeviceKind",
    "Direction",
    "Encryption",
    "ErrorSource",
    "Flow",
    "MediaDirection",
    "MoveOutcome",
    "NetworkState",
    "PathKind",
    "PeerKind",
    "ProxySource",
    "RegistrationState",
    "TransferRole",
    "TransferState",
    "TrialOutcome",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every engine event; ``name`` is the JSON ``event`` field."""

    name: ClassVar[str] = "event"

    def to_json(self) -> dict[str, object]:
        """Return the event's fields as JSON-ready values (enums as their values)."""
        fields: dict[str, object] = {"event": self.name}
        for key, value in asdict(self).items():
            fields[key] = _plain(value)
        return fields


def _plain(value: object) -> object:
    """Return ``value`` as JSON-ready data: enums as their values, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class UaReady(Event):
    """The phone listens and is ready for commands."""

    name: ClassVar[str] = "ua.ready"
    listen: tuple[str, ...]
    profile: str


@dataclass(frozen=True, slots=True)
class ListenPortTaken(Event):
    """Another program holds the default listen address, so the phone listens elsewhere."""

    name: ClassVar[str] = "ua.port_taken"
    wanted: str  # the default listener, e.g. udp:0.0.0.0:5060
    listen: str  # where the phone listens instead, e.g. udp:0.0.0.0:40123


@dataclass(frozen=True, slots=True)
class RegistrarLocated(Event):
    """Where a domain's SIP server is, in try order (``transport host:port``); or why not."""

    name: ClassVar[str] = "registrar.located"
    domain: str
    targets: tuple[str, ...]
    reason: str = ""  # set when targets is empty


@dataclass(frozen=True, slots=True)
class AccountTried(Event):
    """The outcome of one trial registration (TryAccount); the trial is already undone."""

    name: ClassVar[str] = "account.tried"
    aor: str
    outcome: TrialOutcome
    code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class RegistrationChanged(Event):
    """An account's registration moved to a new state."""

    name: ClassVar[str] = "registration.state"
    account: str
    state: RegistrationState
    code: int | None = None
    reason: str = ""
    expires: int | None = None
    contact: str = ""  # the Contact we (re-)register; a move changes it


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
    display_name: str = ""  # the remote party's name in From (incoming) or To (outgoing)
    account: str = ""  # the AoR of the account it came to or goes out from; "": none


@dataclass(frozen=True, slots=True)
class CallModeChanged(Event):
    """We put a call on hold, took it off hold, or merged it into the local conference."""

    name: ClassVar[str] = "call.mode"
    call_id: str
    mode: CallMode


@dataclass(frozen=True, slots=True)
class CallTransferred(Event):
    """A transfer of ``call_id`` to ``target`` moved on (RFC 5589), in our ``role``."""

    name: ClassVar[str] = "call.transfer"
    call_id: str
    target: str
    state: TransferState
    role: TransferRole = TransferRole.TRANSFEREE


@dataclass(frozen=True, slots=True)
class CallMoved(Event):
    """Our address changed mid-call: the peer was told (``offered``), followed or refused."""

    name: ClassVar[str] = "call.moved"
    call_id: str
    outcome: MoveOutcome
    address: str  # our media address now announced (c=)
    code: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NetworkChanged(Event):
    """Our addresses or default route changed (``addresses``: what we have now)."""

    name: ClassVar[str] = "network.changed"
    state: NetworkState
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CallsListed(Event):
    """The calls that have not ended, each as its latest ``call.state`` (after ListCalls)."""

    name: ClassVar[str] = "calls.listed"
    calls: tuple[CallChanged, ...]


@dataclass(frozen=True, slots=True)
class SipMessageLogged(Event):
    """A SIP message crossed the wire (only when the SIP log is switched on)."""

    name: ClassVar[str] = "sip.message"
    direction: Direction
    peer: str  # host:port
    text: str


@dataclass(frozen=True, slots=True)
class ErrorReported(Event):
    """Something failed that no other event describes."""

    name: ClassVar[str] = "error"
    where: ErrorSource
    message: str


@dataclass(frozen=True, slots=True)
class CallMedia(Event):
    """Media of a call started or changed: codec and the addresses RTP flows between."""

    name: ClassVar[str] = "call.media"
    call_id: str
    codec: str
    local: str
    remote: str
    path: PathKind = PathKind.HOST
    direction: MediaDirection = MediaDirection.SENDRECV
    encryption: Encryption = Encryption.NONE
    suite: str | None = None  # the SRTP crypto suite, e.g. AES_CM_128_HMAC_SHA1_80; with
    # dtls-srtp None until the handshake has given the keys


@dataclass(frozen=True, slots=True)
class CallStats(Event):
    """Periodic RTP counters of a call (RTCP figures: RFC 3550 §6.4)."""

    name: ClassVar[str] = "call.stats"
    call_id: str
    sent: int
    received: int
    lost: int
    jitter_ms: float
    rtt_ms: float | None = None
    late: int = 0  # packets that arrived too late for playout
    bad: int = 0  # garbage or truncated packets dropped
    concealed: int = 0  # frames the decoder made up (loss, or waiting for a late packet)
    stretched: int = 0  # playout delay changes by time-scale modification
    playout_delay_ms: float = 0.0  # how long after the typical packet's arrival it plays
    auth_failed: int = 0  # SRTP/SRTCP datagrams dropped: bad tag, replay or wrong key


@dataclass(frozen=True, slots=True)
class DtmfReceived(Event):
    """The peer sent a DTMF digit (RFC 4733 telephone-event)."""

    name: ClassVar[str] = "call.dtmf"
    call_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class AudioDevicesListed(Event):
    """The sound cards seen now (after a rescan): names usable with --audio-in/--audio-out."""

    name: ClassVar[str] = "audio.devices"
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AudioDeviceChanged(Event):
    """An audio device was replaced (it failed or vanished) or the device list changed."""

    name: ClassVar[str] = "audio.device"
    direction: DeviceKind
    device: str  # the device now used ("none": silence)
    reason: str


@dataclass(frozen=True, slots=True)
class PeerAdded(Event):
    """A SIP peer appeared on the LAN (DNS-SD), or changed what it publishes."""

    name: ClassVar[str] = "peer.added"
    peer: str  # the instance name ("name" in JSON)
    uri: str
    addresses: tuple[str, ...]
    alex: bool
    role: PeerKind
    callable: bool = True

    def to_json(self) -> dict[str, object]:
        """Return the JSON fields, the instance name under ``name``."""
        return _peer_json(Event.to_json(self))


@dataclass(frozen=True, slots=True)
class PeerRemoved(Event):
    """A SIP peer said goodbye or its records expired."""

    name: ClassVar[str] = "peer.removed"
    peer: str
    uri: str
    addresses: tuple[str, ...]
    alex: bool
    role: PeerKind

    def to_json(self) -> dict[str, object]:
        """Return the JSON fields, the instance name under ``name``."""
        return _peer_json(Event.to_json(self))


def _peer_json(fields: dict[str, object]) -> dict[str, object]:
    fields["name"] = fields.pop("peer")
    return fields


@dataclass(frozen=True, slots=True)
class ProxyDiscovered(Event):
    """An outbound proxy was found for a domain (DNS SRV or a LAN proxy)."""

    name: ClassVar[str] = "proxy.discovered"
    domain: str
    uri: str
    source: ProxySource


@dataclass(frozen=True, slots=True)
class AlexPairChanged(Event):
    """A candidate pair of a call's ALEX connection list changed state (RFC 8445 §6.1.2.6)."""

    name: ClassVar[str] = "alex.pair"
    call_id: str
    flow: Flow
    local: str  # host:port
    remote: str
    state: CheckState
    rtt_ms: float | None = None


@dataclass(frozen=True, slots=True)
class AlexSelected(Event):
    """ALEX nominated the pair a flow of a call now uses."""

    name: ClassVar[str] = "alex.selected"
    call_id: str
    flow: Flow
    local: str
    remote: str
    kind: PathKind
    rtt_ms: float | None
    from_cache: bool
    probes: int = 0  # probes this call sent up to the selection
    after_ms: float | None = None  # time from the 2xx to the selection


@dataclass(frozen=True, slots=True)
class AudioLevel(Event):
    """Loudness of a call's audio over the last ~100 ms, in dBFS (at most 5 a second)."""

    name: ClassVar[str] = "audio.level"
    call_id: str
    input_db: float  # what the microphone captured (-100 = silence)
    output_db: float  # what the speaker played


class RecordingState(Enum):
    """Where a RecordSound is."""

    RECORDING = "recording"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SoundRecording(Event):
    """A RecordSound's progress: the microphone's level every 100 ms, then its end."""

    name: ClassVar[str] = "sound.recording"
    path: str
    state: RecordingState
    level_db: float  # the last 100 ms; at the end, the loudest 100 ms (-100 = silence)
    seconds: float  # recorded so far


@dataclass(frozen=True, slots=True)
class AlexCacheRow:
    """One ALEX cache entry as the outside sees it."""

    peer: str
    flow: Flow
    local: str
    remote: str
    network: str
    outcome: CacheOutcome
    updated: float  # unix time of the last probe result
    rtt_ms: float | None = None


@dataclass(frozen=True, slots=True)
class AlexCacheListed(Event):
    """The ALEX cache now holds these entries (after ClearAlexCache)."""

    name: ClassVar[str] = "alex.cache"
    entries: tuple[AlexCacheRow, ...]
