"""ALEX on a call's second media socket: IPv6 audio candidates beside the IPv4 ones.

IPv6 first (docs/ALEX.md "Gathering"). A call whose ``MediaPort`` carries an IPv6 pair
(net/media_family.py) announces that pair's host candidates for ``m0.1`` too; the checks
pair each family with the peer's same family only (RFC 8445 §6.1.2.2), so an IPv4-only peer
still gets IPv4. STUN reaching either socket goes to the one agent (``media_bounds`` tells
the base by family) and media leaves from the pair of the selected remote's family.
``AlexCall.add_audio_socket`` takes the pair's candidates before the call announces.
"""

from __future__ import annotations

from dataclasses import replace

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.core.address import Address
from alexphone.engine.alexcall.gathering import gather_for_call
from alexphone.engine.alexcall.headers import AUDIO_FLOW, RTCP_FLOW, socket_candidates
from alexphone.engine.settings import PhoneSettings
from alexphone.net.media_port import MediaPort


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


def rtcp_candidates(bounds: list[Address]) -> list[Candidate]:
    """The ``m0.2`` host candidates of every media pair: its RTCP socket at port + 1
    (net/media_port.py), for an ICE peer that checks RTCP apart (ice.py)."""
    found: list[Candidate] = []
    for host, port in bounds:
        found += [c for c in socket_candidates(RTCP_FLOW, (host, port + 1)) if c not in found]
    return found


async def ipv6_reflexive(settings: PhoneSettings, port: MediaPort) -> list[Candidate]:
    """The IPv6 pair's srflx (RFC 8489 Binding), only toward an IPv6 STUN server; no TURN."""
    server = settings.stun
    if port.v6 is None or port.v6.sockets is None or server is None or ":" not in server[0]:
        return []
    gathered = await gather_for_call(replace(settings, turn=None), media=[(AUDIO_FLOW, port.v6)])
    await gathered.close()  # no allocations: nothing to free
    return [c for c in gathered.candidates if c.type is not CandidateType.HOST]
