"""The GUI's one event dispatcher: every engine event updates the models here, in order.

Events are matched by class; their fields are the engine contract's types (enums, not
strings), so nothing here parses JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from alexphone.engine.events import (
    AlexCacheListed,
    AlexPairChanged,
    AlexSelected,
    AudioDeviceChanged,
    AudioDevicesListed,
    AudioLevel,
    CacheOutcome,
    CallChanged,
    CallMedia,
    CallModeChanged,
    CallMoved,
    CallState,
    CallStats,
    CallTransferred,
    DeviceKind,
    Direction,
    DtmfReceived,
    ErrorReported,
    Event,
    ListenPortTaken,
    MoveOutcome,
    NetworkChanged,
    NetworkState,
    PeerAdded,
    PeerRemoved,
    RegistrationChanged,
    SipMessageLogged,
    UaReady,
)
from alexphone.gui.alex_model import CacheEntry, CacheModel, Pair, PairModel
from alexphone.gui.call_model import CallInfo, CallModel
from alexphone.gui.history_model import HistoryModel
from alexphone.gui.peer_model import Peer, PeerModel
from alexphone.gui.sip_log_model import LogLine, SipLogModel


class EventDispatcher(QObject):
    """Turns engine events into model updates and a few signals for the window.

    Signals:
        call_updated(CallInfo): a call changed (state, media or stats).
        incoming_call(CallInfo): a new incoming call is ringing.
        status_changed(str): a line for the status bar (listening, registration).
        error_reported(ErrorSource, str): where and what failed.
        audio_problem(str): an audio device failed; the text says what and what is used now.
        registration_changed(str, str): an account and its registration state's value.
        levels_changed(str, float, float): a call's input and output level (dBFS).
        devices_listed(tuple, tuple): the engine's input and output device names.
        transfer_changed(CallTransferred): a transfer moved on (``call.transfer``).
    """

    call_updated = Signal(object)
    incoming_call = Signal(object)
    status_changed = Signal(str)
    error_reported = Signal(object, str)
    audio_problem = Signal(str)
    registration_changed = Signal(str, str)
    levels_changed = Signal(str, float, float)
    devices_listed = Signal(tuple, tuple)
    transfer_changed = Signal(object)

    def __init__(
        self,
        calls: CallModel,
        peers: PeerModel,
        pairs: PairModel,
        cache: CacheModel,
        log: SipLogModel,
        history: HistoryModel,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.calls = calls
        self.peers = peers
        self.pairs = pairs
        self.cache = cache
        self.log = log
        self.history = history
        self.clock = clock
        self._taken: list[str] = []  # default listeners another program holds

    def dispatch(self, event: Event) -> None:
        """Apply one engine event (connected to EventBridge.event_received)."""
        now = self.clock()
        if isinstance(event, AudioLevel):  # 5 a second: meters only, not the log
            self.levels_changed.emit(event.call_id, event.input_db, event.output_db)
            return
        if not isinstance(event, SipMessageLogged):
            fields = event.to_json()
            text = json.dumps({k: v for k, v in fields.items() if k != "event"})
            self.log.append(LogLine(now, "·", event.name, text))
        self._apply(event, now)

    def _apply(self, event: Event, now: float) -> None:
        """Events about calls, the account and the network: the call panel and status line."""
        match event:
            case CallChanged():
                self._call_changed(event, now)
            case ListenPortTaken(wanted=wanted):
                self._taken.append(wanted)  # said with the listeners, on ua.ready
            case UaReady(listen=listen):
                self._ready(listen)
            case RegistrationChanged(account=account, state=state, code=code, reason=reason):
                detail = f" ({code} {reason})".rstrip() if code else ""
                self.status_changed.emit(f"{account}: {state.value}{detail}")
                self.registration_changed.emit(account, state.value)
            case ErrorReported(where=where, message=message):
                self.error_reported.emit(where, message)
            case CallMoved(outcome=MoveOutcome.REFUSED | MoveOutcome.UNANSWERED, reason=reason):
                self.status_changed.emit(f"Network changed: {reason}")
            case NetworkChanged(state=NetworkState.NO_ROUTE):
                self.status_changed.emit("No network: calls resume when a connection returns")
            case NetworkChanged(state=NetworkState.OTHER_FAMILY):
                text = "This network has no route of the address family the phone uses"
                self.status_changed.emit(f"{text}: calls resume when one returns")
            case NetworkChanged(state=NetworkState.CONNECTED):
                self.status_changed.emit("Network connected: calls follow")
            case CallMedia(call_id=call_id, codec=codec, local=local, remote=remote, path=path):
                media = (call_id, codec, local, remote, path, event.encryption, event.suite)
                self._updated(self.calls.apply_media(*media))
            case CallTransferred():
                self.transfer_changed.emit(event)
            case CallModeChanged(call_id=call_id, mode=mode):
                self._updated(self.calls.apply_mode(call_id, mode))
            case CallStats():
                self._updated(
                    self.calls.apply_stats(
                        event.call_id,
                        event.sent,
                        event.received,
                        event.lost,
                        event.jitter_ms,
                        event.rtt_ms,
                    )
                )
            case _:
                self._apply_to_lists(event, now)

    def _apply_to_lists(self, event: Event, now: float) -> None:
        """Events that fill the side lists: peers, devices, the ALEX views, the SIP log."""
        match event:
            case PeerAdded():
                self.peers.add(Peer(event.peer, event.uri, event.addresses, event.alex, event.role))
            case PeerRemoved(uri=uri):
                self.peers.remove(uri)
            case AudioDeviceChanged(direction=direction, device=device, reason=reason):
                what = "Microphone" if direction is DeviceKind.INPUT else "Speaker"
                self.audio_problem.emit(f"{what}: {reason}; now using {device}.")
            case AlexCacheListed(entries=entries):
                self.cache.replace_all(
                    [
                        CacheEntry(
                            e.peer, e.flow, e.local, e.remote, e.rtt_ms, e.updated, e.network
                        )
                        for e in entries
                        if e.outcome is CacheOutcome.SUCCEEDED
                    ]
                )
            case AudioDevicesListed(inputs=inputs, outputs=outputs):
                self.devices_listed.emit(inputs, outputs)
            case DtmfReceived(digit=digit):
                self.status_changed.emit(f"The other side pressed {digit}")
            case AlexPairChanged():
                pair = Pair(
                    event.call_id, event.flow, event.local, event.remote, event.state, event.rtt_ms
                )
                self.pairs.upsert(pair)
            case AlexSelected():
                self._selected(event, now)
            case SipMessageLogged(direction=way, peer=peer, text=text):
                self.log.append(LogLine(now, "→" if way is Direction.OUT else "←", peer, text))
            case _:
                pass  # an event this GUI does not show; it is in the log above

    def _ready(self, listen: tuple[str, ...]) -> None:
        line = "Listening on " + ", ".join(listen)
        if self._taken:
            line += f" ({', '.join(self._taken)} is in use by another program)"
            self._taken.clear()
        self.status_changed.emit(line)

    def _updated(self, call: CallInfo | None) -> None:
        if call is not None:
            self.call_updated.emit(call)

    def _call_changed(self, event: CallChanged, now: float) -> None:
        is_new = not event.call_id or self.calls.find(event.call_id) is None
        if is_new and event.state is not CallState.ENDED:
            self.calls.prune_ended()
        call = self.calls.apply_state(event, now)
        if call.state is CallState.ENDED:
            self.history.reload()  # the engine wrote the call's row before it emitted this
        self.call_updated.emit(call)
        if is_new and call.direction is Direction.IN and call.state is CallState.RINGING:
            self.incoming_call.emit(call)
        if not call.active:
            self.pairs.forget(call.call_id)

    def _selected(self, event: AlexSelected, now: float) -> None:
        local, remote, rtt = event.local, event.remote, event.rtt_ms
        self.pairs.select(event.call_id, event.flow, local, remote, rtt)
        call = self.calls.find(event.call_id)
        if call is not None:
            self.cache.upsert(CacheEntry(call.remote, event.flow, local, remote, rtt, now))
