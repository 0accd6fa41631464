"""What the ALEX cache remembers of one call's peer on this network (docs/ALEX.md "ALEX cache").

A call records each pair that failed and each pair selected, keyed by the peer (its instance
URN once known, else its AOR), the flow, both endpoints and the network fingerprint taken
when the dialog was confirmed. When checks start, the pair that worked with this peer on this
network before is handed to the agent first (``seeds``). Media ports change from call to call,
so an audio entry matches by addresses only; a ``sip`` entry matches exactly.
"""

from __future__ import annotations

import time

from alexphone.alex.cache import CacheKey, CacheUse, endpoint, failure, parse_endpoint, success
from alexphone.alex.candidate import Candidate
from alexphone.core.address import Address
from alexphone.core.errors import ParseError
from alexphone.engine.alexcall.headers import AUDIO_FLOW, EVENT_FLOWS, SIP_FLOW
from alexphone.store.alex_cache import AlexCacheStore

Seed = tuple[str, Address, Address]  # flow, our base, the peer's address


class PairMemory:
    """The cache as one call sees it: outcomes recorded, proven pairs handed back."""

    def __init__(self, cache: AlexCacheStore | None, peer: str) -> None:
        self._cache = cache
        self._peer = peer  # cache key: the peer's instance once known, else its AOR
        self._network = ""  # fingerprint when checks started; "" records nothing

    @property
    def peer(self) -> str:
        """The peer as the cache knows it."""
        return self._peer

    def learn_instance(self, instance: str) -> None:
        """The peer announced its instance URN: key its entries by it from now on."""
        self._peer = instance

    def join(self, network: str) -> None:
        """Checks start on the network with fingerprint ``network``."""
        self._network = network

    def record(
        self, flow: str, base: Address, remote: Address, rtt: float | None, *, failed: bool
    ) -> None:
        """Remember that the pair failed, or was selected with round trip ``rtt``."""
        cache = self._cache
        if cache is None or not self._network or flow not in (AUDIO_FLOW, SIP_FLOW):
            return  # an RTCP pair follows its audio pair: the cache keeps sip and audio
        key = CacheKey(
            self._peer, EVENT_FLOWS.get(flow, flow), endpoint(base), endpoint(remote), self._network
        )
        wall = time.time()
        entry = failure(key, wall, cache.get(key)) if failed else success(key, wall, rtt)
        cache.record(entry)

    def seeds(self, local: list[Candidate], remote: list[Candidate]) -> list[Seed]:
        """The pair per flow that worked with this peer on this network, if still there."""
        cache = self._cache
        if cache is None:
            return []
        wall = time.time()
        found: list[Seed] = []
        for flow in (AUDIO_FLOW, SIP_FLOW):
            for entry in cache.lookup(self._peer, EVENT_FLOWS[flow], self._network, wall):
                if entry.use(wall) is not CacheUse.NOMINATE:
                    continue
                try:
                    cached_local, _ = parse_endpoint(entry.key.local)
                    cached_remote, _ = parse_endpoint(entry.key.remote)
                except ParseError:
                    continue
                exact = flow == SIP_FLOW  # media ports change per call: match addresses only
                pair = _match(local, remote, flow, cached_local, cached_remote, exact)
                if pair is not None:
                    found.append((flow, *pair))
                    break
        return found


def _match(
    local: list[Candidate],
    remote: list[Candidate],
    flow: str,
    cached_local: Address,
    cached_remote: Address,
    exact: bool,
) -> tuple[Address, Address] | None:
    """The (base, remote) of this call that a cache entry describes, if any."""
    for ours in local:
        if ours.flow != flow or ours.base != ours.address:
            continue
        if ours.address != cached_local and (exact or ours.address[0] != cached_local[0]):
            continue
        for theirs in remote:
            if theirs.flow != flow:
                continue
            if theirs.address == cached_remote or (
                not exact and theirs.address[0] == cached_remote[0]
            ):
                return ours.address, theirs.address
    return None
