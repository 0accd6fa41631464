"""What a check agent puts on the wire: credentials, datagrams and check encoding (RFC 8445 §7).

A probe is a STUN Binding request from one of our bases to a peer address, with USERNAME
"peer-ufrag:our-ufrag", the PRIORITY a peer-reflexive candidate of ours would get, our role and
tie-breaker, optionally USE-CANDIDATE, signed with the peer's password and fingerprinted.
Answers are signed with our own password.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alexphone.alex.candidate import Candidate, CandidateType, candidate_priority
from alexphone.alex.connection_list import MAX_PAIRS
from alexphone.alex.consent import ConsentConfig
from alexphone.alex.pacing import PacingConfig
from alexphone.core.address import Address
from alexphone.stun import message as stun
from alexphone.stun.transaction import StunTimerConfig

ROLE_CONFLICT = 487  # RFC 8445 §7.3.1.1


@dataclass(frozen=True, slots=True)
class Credentials:
    """Short-term credentials of one side (ALEX-session ufrag/pwd, or ice-ufrag/ice-pwd)."""

    ufrag: str
    pwd: str

    @property
    def key(self) -> bytes:
        """The MESSAGE-INTEGRITY key: the password itself (RFC 8489 §9.1.1)."""
        return self.pwd.encode()


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """Timers of the check agent; defaults: RFC 8445 §14, docs/ALEX.md "Checks and pacing"."""

    pacing: PacingConfig = field(default_factory=PacingConfig)
    stun: StunTimerConfig = field(default_factory=StunTimerConfig)
    consent_stun: StunTimerConfig = field(default_factory=lambda: StunTimerConfig(0.5, 4, 8))
    consent: ConsentConfig = field(default_factory=ConsentConfig)
    stop_after: float = 1.0  # stop rule: nominate the best valid pair after 1 s
    give_up_after: float = 10.0  # a flow with no valid pair by then falls back
    max_pairs: int = MAX_PAIRS  # shared by all flows of the agent


@dataclass(frozen=True, slots=True)
class Datagram:
    """One STUN message to send from local ``base`` (socket or relayed address) to ``remote``."""

    base: Address
    remote: Address
    data: bytes


def prflx_priority(local: Candidate) -> int:
    """The PRIORITY attribute of a check from ``local`` (RFC 8445 §7.1.1)."""
    local_pref = (local.priority >> 8) & 0xFFFF
    return candidate_priority(CandidateType.PRFLX.preference, local_pref, local.component)


def check_request(
    transaction_id: bytes,
    local: Credentials,
    remote: Credentials,
    candidate: Candidate,
    *,
    controlling: bool,
    tie_breaker: int,
    use_candidate: bool,
) -> bytes:
    """Encode a connectivity check from ``candidate`` (RFC 8445 §7.2.2)."""
    return stun.binding_request(
        transaction_id,
        username=f"{remote.ufrag}:{local.ufrag}",
        key=remote.key,
        priority=prflx_priority(candidate),
        ice_controlling=tie_breaker if controlling else None,
        ice_controlled=None if controlling else tie_breaker,
        use_candidate=use_candidate,
    )


def check_success(request: stun.StunMessage, source: Address, local: Credentials) -> bytes:
    """Answer an authenticated check: XOR-MAPPED-ADDRESS is its source (RFC 8445 §7.3.1.1)."""
    return stun.binding_success(request.transaction_id, source, local.key)


def role_conflict(request: stun.StunMessage, local: Credentials) -> bytes:
    """Answer a check whose sender must change its role: 487 Role Conflict (RFC 8445 §7.3.1.1)."""
    return stun.binding_error(request.transaction_id, ROLE_CONFLICT, "Role Conflict", local.key)
