"""What a call's check agent reports, turned into engine events, cache outcomes and media moves.

Every ``PairChanged`` becomes ``alex.pair`` (frozen pairs are not reported) and a failed pair
is remembered as failed; every ``PairSelected`` becomes ``alex.selected`` with the time since
checks started and is remembered as working. Audio follows the checks: the best pair a check
proved carries it before nomination (the media gate holds, the pair answered an authenticated
probe), the selected pair after. ``FlowFailed`` and ``ConsentExpired`` are reported as
errors; an expired consent also goes to whoever restarts the call's checks (restart.py).
"""

from __future__ import annotations

from collections.abc import Callable

from alexphone.alex.candidate import format_hostport
from alexphone.alex.checks import CheckAgent
from alexphone.alex.connection_list import PairState
from alexphone.alex.events import (
    AgentEvent,
    ConsentExpired,
    FlowFailed,
    PairChanged,
    PairSelected,
    path_kind,
)
from alexphone.core.address import Address
from alexphone.engine.alexcall.headers import AUDIO_FLOW, EVENT_FLOWS
from alexphone.engine.alexcall.pair_memory import PairMemory
from alexphone.engine.events import (
    AlexPairChanged,
    AlexSelected,
    CheckState,
    ErrorReported,
    ErrorSource,
    Event,
    Flow,
    PathKind,
)

# (our address as the peer sees it, the peer's address, path kind)
MediaPathListener = Callable[[Address, Address, PathKind], None]
ConsentListener = Callable[[str], None]  # the flow whose consent expired
_PAIR_STATES = {
    PairState.WAITING: CheckState.WAITING,
    PairState.IN_PROGRESS: CheckState.IN_PROGRESS,
    PairState.SUCCEEDED: CheckState.SUCCEEDED,
    PairState.FAILED: CheckState.FAILED,
}


class CheckReport:
    """Hands one call's agent events on; remembers where its audio goes now."""

    def __init__(
        self,
        call_id: str,
        emit: Callable[[Event], None],
        memory: PairMemory,
        *,
        on_media_path: MediaPathListener | None = None,
        on_consent_lost: ConsentListener | None = None,
    ) -> None:
        self._call_id = call_id
        self._emit = emit
        self._memory = memory
        self._on_media_path = on_media_path
        self._on_consent_lost = on_consent_lost
        self._started_at: float | None = None  # alex.selected's after_ms counts from here
        self._media_path: tuple[Address, Address, PathKind] | None = None  # where audio goes now

    def checks_started(self, now: float) -> None:
        """Checks (re)started at ``now``: selections are timed from here."""
        self._started_at = now

    def error(self, text: str) -> None:
        """Report a problem of this call's ALEX."""
        self._emit(ErrorReported(ErrorSource.ALEX, f"call {self._call_id}: {text}"))

    def handle(self, event: AgentEvent, agent: CheckAgent, now: float) -> None:
        """Report one event of ``agent`` (the call's current one) at ``now``."""
        match event:
            case PairChanged():
                self._pair_changed(event, agent)
            case PairSelected():
                self._selected(event, agent, now)
            case FlowFailed(flow=flow):
                self.error(f"no {EVENT_FLOWS.get(flow, flow)} path")
            case ConsentExpired(flow=flow):
                self.error(f"consent lost on {EVENT_FLOWS.get(flow, flow)}")
                if self._on_consent_lost is not None:
                    self._on_consent_lost(flow)

    def _pair_changed(self, event: PairChanged, agent: CheckAgent) -> None:
        name = _PAIR_STATES.get(event.state)
        if name is None:
            return  # frozen: not reported (docs/ARCHITECTURE.md, event contract)
        local, remote = event.local, event.remote
        rtt_ms = round(event.rtt * 1000, 2) if event.rtt is not None else None
        self._emit(
            AlexPairChanged(
                self._call_id,
                Flow(EVENT_FLOWS[event.flow]),
                format_hostport(local.sending_base),
                format_hostport(remote.address),
                name,
                rtt_ms,
            )
        )
        if event.state is PairState.FAILED:
            self._memory.record(event.flow, local.sending_base, remote.address, None, failed=True)
        elif event.state is PairState.SUCCEEDED and event.flow == AUDIO_FLOW:
            self._early_media(agent)

    def _early_media(self, agent: CheckAgent) -> None:
        """Before nomination, audio may already use the best pair a check proved (the media
        gate holds: it answered an authenticated probe); selection moves it again if needed."""
        valid = agent.best_valid(AUDIO_FLOW)
        if valid is not None and agent.selected(AUDIO_FLOW) is None:
            kind = PathKind(path_kind(valid.local, valid.remote).value)
            self._move_media(valid.local.address, valid.remote.address, kind)

    def _move_media(self, local: Address, remote: Address, kind: PathKind) -> None:
        if self._on_media_path is not None and self._media_path != (local, remote, kind):
            self._media_path = (local, remote, kind)
            self._on_media_path(local, remote, kind)

    def _selected(self, event: PairSelected, agent: CheckAgent, now: float) -> None:
        rtt_ms = round(event.rtt * 1000, 2) if event.rtt is not None else None
        after = now - self._started_at if self._started_at is not None else None
        self._emit(
            AlexSelected(
                self._call_id,
                Flow(EVENT_FLOWS[event.flow]),
                format_hostport(event.local.address),
                format_hostport(event.remote.address),
                PathKind(event.kind.value),
                rtt_ms,
                event.from_cache,
                agent.probes_sent,
                round(after * 1000, 1) if after is not None else None,
            )
        )
        self._memory.record(event.flow, event.base, event.remote.address, event.rtt, failed=False)
        if event.flow == AUDIO_FLOW:
            kind = PathKind(event.kind.value)
            self._move_media(event.local.address, event.remote.address, kind)
