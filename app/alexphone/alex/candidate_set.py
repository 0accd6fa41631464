"""Both sides' candidates as an agent knows them, growing with peer-reflexive discoveries.

RFC 8445 §7.2.5.3.1: an answer mapping our check to an address we did not announce reveals a
local peer-reflexive candidate (base: the check's base, priority: the PRIORITY we sent).
RFC 8445 §7.3.1.3: a check from an unknown source address reveals a remote one (priority: its
PRIORITY attribute). Both are returned as new values; the agent reports them.
"""

from __future__ import annotations

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.gathering import foundation
from alexphone.core.address import Address
from alexphone.core.errors import LocalProtocolError


class CandidateSet:
    """Our candidates (with bases) and the peer's, by flow."""

    def __init__(self) -> None:
        self.local: list[Candidate] = []
        self.remote: list[Candidate] = []
        self._prflx_count = 0

    def add_local(self, candidates: list[Candidate]) -> None:
        """Add our own candidates; each must know its base."""
        for candidate in candidates:
            if candidate.base is None:
                raise LocalProtocolError(f"local candidate without base: {candidate}")
        self.local.extend(candidates)

    def flows(self) -> list[str]:
        """Our flows in the order their first candidate was added."""
        return list(dict.fromkeys(c.flow for c in self.local))

    def base(self, address: Address) -> Candidate | None:
        """The host or relayed candidate whose base is ``address`` (where a packet arrived)."""
        for candidate in self.local:
            if candidate.address == address and candidate.sending_base == address:
                return candidate
        return None

    def remote_for(
        self, flow: str, address: Address, priority: int | None, base: Candidate
    ) -> tuple[Candidate, bool] | None:
        """The peer candidate at ``address``, else a new peer-reflexive one (and True)."""
        for candidate in self.remote:
            if candidate.flow == flow and candidate.address == address:
                return candidate, False
        if priority is None or not 0 < priority < 2**32:
            return None
        self._prflx_count += 1
        fnd = f"rp{self._prflx_count}"
        candidate = Candidate(flow, base.transport, address, CandidateType.PRFLX, priority, fnd)
        self.remote.append(candidate)
        return candidate, True

    def mapped_local(
        self, base: Candidate, mapped: Address, priority: int
    ) -> tuple[Candidate, bool]:
        """Our candidate at ``mapped`` for ``base``'s flow, else a new peer-reflexive one."""
        for candidate in self.local:
            if candidate.flow == base.flow and candidate.address == mapped:
                return candidate, False
        origin = base.sending_base
        fnd = foundation(CandidateType.PRFLX, origin[0], base.transport)
        candidate = Candidate(
            base.flow, base.transport, mapped, CandidateType.PRFLX, priority, fnd, origin, origin
        )
        self.local.append(candidate)
        return candidate, True
