"""What a check agent reports (``alex.pair``, ``alex.selected``: docs/ARCHITECTURE.md "Events")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.connection_list import PairState
from alexphone.core.address import Address


class Role(Enum):
    """ICE agent roles (RFC 8445 §6.1.1): the caller controls."""

    CONTROLLING = "controlling"
    CONTROLLED = "controlled"

    @property
    def other(self) -> Role:
        """The opposite role."""
        return Role.CONTROLLED if self is Role.CONTROLLING else Role.CONTROLLING


def path_kind(local: Candidate, remote: Candidate) -> CandidateType:
    """The least direct type on the path: relay > prflx > srflx > host (for ``call.media.path``)."""
    order = (CandidateType.RELAY, CandidateType.PRFLX, CandidateType.SRFLX, CandidateType.HOST)
    for kind in order:
        if kind in (local.type, remote.type):
            return kind
    return CandidateType.HOST


@dataclass(frozen=True, slots=True)
class PairChanged:
    """A pair changed state (``alex.pair``); rtt in seconds once a check succeeded."""

    flow: str
    local: Candidate
    remote: Candidate
    state: PairState
    rtt: float | None = None


@dataclass(frozen=True, slots=True)
class PairSelected:
    """A flow's pair was nominated (``alex.selected``): send from ``base`` to ``remote``."""

    flow: str
    local: Candidate  # the local candidate as the peer sees it (host/srflx/prflx/relay)
    remote: Candidate
    base: Address  # where our packets leave from (socket, or relayed address)
    kind: CandidateType
    rtt: float | None
    from_cache: bool


@dataclass(frozen=True, slots=True)
class CandidateDiscovered:
    """A peer-reflexive candidate was learned (RFC 8445 §7.2.5.3.1, §7.3.1.3)."""

    candidate: Candidate
    local: bool  # True: ours (from XOR-MAPPED-ADDRESS); False: the peer's (from a check)


@dataclass(frozen=True, slots=True)
class RoleChanged:
    """A role conflict was resolved by switching our role (RFC 8445 §7.2.5.1, §7.3.1.1)."""

    role: Role


@dataclass(frozen=True, slots=True)
class FlowFailed:
    """No pair of a flow works: the flow falls back (proxy path for sip, plain/relay for media)."""

    flow: str


@dataclass(frozen=True, slots=True)
class ConsentExpired:
    """No authenticated answer for 30 s on the selected pair (RFC 7675 §5.1): stop sending."""

    flow: str
    base: Address
    remote: Address


AgentEvent = (
    PairChanged | PairSelected | CandidateDiscovered | RoleChanged | FlowFailed | ConsentExpired
)
