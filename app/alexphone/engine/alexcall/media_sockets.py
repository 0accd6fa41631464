"""ALEX on a call's second media socket: IPv6 audio candidates beside the IPv4 ones.

ALEX.md prefers IPv6 where it works. A call whose ``MediaPort`` carries an IPv6 pair
(net/media_family.py) announces that pair's host candidates for ``m0.1`` too; the checks
pair each family with the peer's same family only (RFC 8445 §6.1.2.2), so an IPv4-only peer
still gets IPv4. STUN reaching either socket goes to the one agent (``media_bounds`` tells
the base by family) and media leaves from the pair of the selected remote's family.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.core.address import Address
from alexphone.engine.alexcall.gathering import gather_for_call
from alexphone.engine.alexcall.headers import AUDIO_FLOW, is_loopback, socket_candidates
from alexphone.engine.settings import PhoneSettings
from alexphone.net.media_port import MediaPort

if TYPE_CHECKING:
    from alexphone.engine.alexcall.session import AlexSession


def media_bounds(port: MediaPort) -> list[Address]:
    """The bound addresses of a call's media pairs: the first listener's, then IPv6's."""
    bounds = [(port.host, port.port)]
    if port.v6 is not None:
        bounds.append((port.v6.host, port.v6.port))
    return bounds


def audio_candidates(bounds: list[Address]) -> list[Candidate]:
    """The ``m0.1`` host candidates of every media pair (duplicates left out)."""
    found: list[Candidate] = []
    for bound in bounds:
        found += [c for c in socket_candidates(AUDIO_FLOW, bound) if c not in found]
    return found


def add_ipv6_audio(session: AlexSession, port: MediaPort) -> list[Candidate]:
    """Give a fresh session the IPv6 pair's audio candidates (before it announces)."""
    if port.v6 is None:
        return []
    bound = (port.v6.host, port.v6.port)
    if bound in session.media_bounds:
        return []
    session.media_bounds.append(bound)
    known = {(c.flow, c.address) for c in session.candidates}
    extra = [c for c in socket_candidates(AUDIO_FLOW, bound) if (c.flow, c.address) not in known]
    if not extra:
        return []
    _add(session, extra)
    session.keep_loopback = all(is_loopback(c.address[0]) for c in session.candidates)
    return extra


def _add(session: AlexSession, extra: list[Candidate]) -> None:
    session.candidates = sorted(
        [*session.candidates, *extra], key=lambda c: (c.flow != AUDIO_FLOW, -c.priority)
    )
    session.agent.add_local_candidates(extra)


async def gather_ipv6(session: AlexSession, settings: PhoneSettings, port: MediaPort) -> None:
    """The IPv6 pair's srflx (RFC 8489 Binding), only toward an IPv6 STUN server; no TURN."""
    server = settings.stun
    if port.v6 is None or port.v6.sockets is None or server is None or ":" not in server[0]:
        return
    gathered = await gather_for_call(replace(settings, turn=None), media=[(AUDIO_FLOW, port.v6)])
    await gathered.close()  # no allocations: nothing to free
    if session.hub.sessions.get(session.call_id) is not session:
        return  # the call ended meanwhile
    known = {(c.flow, c.address) for c in session.candidates}
    extra = [
        c
        for c in gathered.candidates
        if c.type is not CandidateType.HOST and (c.flow, c.address) not in known
    ]
    if extra:
        _add(session, extra)
