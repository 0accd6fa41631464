"""One generation of a call's checks: an ALEX-session, its agent, our candidates (docs/ALEX.md).

A call's first generation starts with the call; a restart (restart.py) replaces it whole: new
``ufrag``/``pwd``/tie-breaker, a fresh ``CheckAgent`` with the same role and our candidates
as they are now. Our candidate list and the agent's local candidates change together, here
only: gathering adds srflx/relayed ones, an ICE peer drops the ``sip`` flow.
"""

from __future__ import annotations

from collections.abc import Callable

from alexphone.alex.candidate import Candidate
from alexphone.alex.checks import CheckAgent
from alexphone.alex.events import Role
from alexphone.alex.items import AlexSession, new_session
from alexphone.alex.probe import Credentials
from alexphone.core.address import Address
from alexphone.engine.alexcall.headers import AUDIO_FLOW, RTCP_FLOW
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.net.core_driver import CoreDriver

Flush = Callable[[CheckAgent, float], None]  # drain this agent's datagrams and events at now


def ordered(candidates: list[Candidate]) -> list[Candidate]:
    """Audio first, then RTCP (checks.py pairs media flows first), each flow best first."""
    rank = {AUDIO_FLOW: 0, RTCP_FLOW: 1}
    return sorted(candidates, key=lambda c: (rank.get(c.flow, 2), -c.priority))


class CheckGeneration:
    """The ALEX-session values, the agent and its driver, and our candidates of one run."""

    def __init__(self, hub: AlexHub, role: Role, candidates: list[Candidate], flush: Flush) -> None:
        self.values: AlexSession = new_session(hub.ids, hub.instance)
        credentials = Credentials(self.values.ufrag, self.values.pwd)
        self.agent = CheckAgent(
            role, credentials, self.values.tie_breaker, budget=hub.budget, rng=hub.rng
        )
        self.agent.add_local_candidates(candidates)
        agent = self.agent
        self.driver = CoreDriver(agent, lambda now: flush(agent, now), loop=hub.loop)
        self._candidates = candidates

    @property
    def candidates(self) -> list[Candidate]:
        """Our candidates, media flows first (a copy)."""
        return list(self._candidates)

    @property
    def credentials(self) -> Credentials:
        """Our ufrag/pwd in this generation."""
        return Credentials(self.values.ufrag, self.values.pwd)

    def audio_bases(self) -> set[Address]:
        """Our audio candidates' addresses (probes from them leave by a media socket)."""
        return {c.address for c in self._candidates if c.flow == AUDIO_FLOW}

    def unknown(self, candidates: list[Candidate]) -> list[Candidate]:
        """Those of ``candidates`` whose flow and address we do not have yet."""
        known = {(c.flow, c.address) for c in self._candidates}
        return [c for c in candidates if (c.flow, c.address) not in known]

    def add(self, extra: list[Candidate]) -> None:
        """Take more candidates of ours (gathered, or another media socket's)."""
        if extra:
            self._candidates = ordered([*self._candidates, *extra])
            self.agent.add_local_candidates(extra)

    def rtcp_bases(self) -> set[Address]:
        """Our RTCP (component 2) candidates' addresses: probes from them leave by the media
        socket's RTCP port."""
        return {c.address for c in self._candidates if c.flow == RTCP_FLOW}

    @property
    def checks_rtcp(self) -> bool:
        """Tell whether RTCP has a flow of its own (an ICE peer without rtcp-mux)."""
        return any(c.flow == RTCP_FLOW for c in self._candidates)

    def media_only(self, rtcp: list[Candidate]) -> None:
        """Keep the media flows only (ICE knows no signaling flow); ``rtcp``: our component-2
        candidates, when the peer checks RTCP apart (none drops the flow)."""
        kept = [c for c in self._candidates if c.flow == AUDIO_FLOW]
        self._candidates = ordered([*kept, *rtcp])
        local = self.agent.candidates
        local.local = [c for c in local.local if c.flow == AUDIO_FLOW]
        self.agent.add_local_candidates(rtcp)

    def checked_base(self, remote: Address) -> Address | None:
        """Where media to ``remote`` leaves from: the selected pair's base, else a checked one."""
        selected = self.agent.selected(AUDIO_FLOW)
        pair = selected.generating if selected is not None else None
        if pair is not None and pair[1] == remote and self.agent.is_validated(*pair):
            return pair[0]
        bases = [c.address for c in self._candidates if c.flow == AUDIO_FLOW]
        return next((b for b in bases if self.agent.is_validated(b, remote)), None)

    def rtcp_route(self) -> tuple[Address, Address] | None:
        """Where RTCP goes when it has a flow of its own: the selected ``m0.2`` pair (base,
        peer address), else the best one a check proved; None before any."""
        valid = self.agent.best_valid(RTCP_FLOW)
        if valid is None or not self.agent.is_validated(*valid.generating):
            return None
        return valid.generating

    def close(self) -> None:
        """Stop the agent and its timer for good."""
        self.agent.close()
        self.driver.close()
