"""Sound-card hot-plug: notice a new or vanished device and announce the new list.

PortAudio sees new devices only after a restart, which costs ~0.1 s and may only
happen while no stream is open. So the watch looks for a cheap sign first: on
Linux the entries of /dev/snd change when a card comes or goes; elsewhere it
rescans on a slow period. A rescan runs only between calls.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from alexphone.net.task_set import TaskSet

log = logging.getLogger(__name__)
SOUND_NODES = Path("/dev/snd")


def sound_nodes(folder: Path = SOUND_NODES) -> frozenset[str] | None:
    """Return the names in /dev/snd, or None where the OS has no such folder."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return None


class DeviceWatch:
    """Calls ``rescan`` when the set of sound devices may have changed and no stream is open."""

    def __init__(
        self,
        rescan: Callable[[], None],
        idle: Callable[[], bool],
        *,
        interval: float = 2.0,
        blind_period: float = 30.0,
        nodes: Callable[[], frozenset[str] | None] = sound_nodes,
    ) -> None:
        self._rescan = rescan
        self._idle = idle
        self._interval = interval
        self._blind_period = blind_period
        self._nodes = nodes
        self._seen = nodes()
        self._dirty = False
        self._since_rescan = 0.0
        self._tasks = TaskSet(log, "audio device watch")

    def start(self) -> None:
        """Start watching on the running loop."""
        self._tasks.spawn(self._run())

    async def stop(self) -> None:
        """Stop watching."""
        await self._tasks.close()

    def tick(self) -> bool:
        """Look once; rescan if a change is pending and the phone is idle. True if it did."""
        self._since_rescan += self._interval
        nodes = self._nodes()
        if nodes is None:
            self._dirty = self._dirty or self._since_rescan >= self._blind_period
        elif nodes != self._seen:
            self._seen = nodes
            self._dirty = True
        if not self._dirty or not self._idle():
            return False
        self._dirty = False
        self._since_rescan = 0.0
        log.info("sound devices changed: rescanning")
        self._rescan()
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                self.tick()
            except Exception:  # a broken backend must not end the watch or the phone
                log.exception("sound device rescan failed")
