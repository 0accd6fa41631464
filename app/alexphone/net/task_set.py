"""Background tasks an adapter owns: kept alive, their failures logged, cancelled on close.

``asyncio`` keeps only a weak reference to a task, so a task nobody holds may vanish half way;
its exception is only reported when the task is garbage-collected. A ``TaskSet`` holds every
task it spawns until it ends, logs the exception of one that failed (with the owner's logger),
and ``close()`` lets the tasks finish for a grace period before cancelling the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

CANCEL_WAIT = 1.0  # seconds close() waits for cancelled tasks to unwind


class TaskSet:
    """Spawns tasks on the running loop and keeps them until they end."""

    def __init__(self, logger: logging.Logger, what: str = "task") -> None:
        self._log = logger
        self._what = what
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coroutine`` as a task held by this set."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    async def close(self, grace: float = 0.0) -> None:
        """Wait up to ``grace`` seconds for the tasks to end, then cancel what still runs."""
        if self._tasks and grace > 0:
            await asyncio.wait(list(self._tasks), timeout=grace)
        running = list(self._tasks)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=CANCEL_WAIT)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._log.warning("%s failed: %r", self._what, exc, exc_info=exc)
