"""The ALEX cache is keyed by the local network: after a move, old paths are not used."""

from __future__ import annotations

from pathlib import Path

from phone_pair import run
from test_alex_calls import _both_selected, _call, _hang_up, _pair


def test_cached_pairs_are_ignored_on_another_network(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            first = await _call(pair)
            await _both_selected(pair.a, first)
            await _both_selected(pair.b, first)
            await _hang_up(pair, first)
            hub = pair.a.phone.ua.alex if pair.a.phone.ua is not None else None
            assert hub is not None
            # The caller moves: its interface prefixes and gateway (the fingerprint) change.
            hub.network = lambda: "another-network"  # type: ignore[method-assign]
            second = await _call(pair)
            moved = await _both_selected(pair.a, second)
            assert not any(s.from_cache for s in moved.values())
            assert hub.cache is not None
            networks = {e.key.network for e in hub.cache.entries()}
            assert "another-network" in networks and len(networks) == 2  # kept, not deleted
            await _hang_up(pair, second)

    run(scenario())
