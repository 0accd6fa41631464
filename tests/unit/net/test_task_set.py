"""TaskSet: tasks held until they end, failures logged, close() drains then cancels."""

from __future__ import annotations

import asyncio
import logging

import pytest

from alexphone.net.task_set import TaskSet

log = logging.getLogger("test_task_set")


def test_a_finished_task_leaves_the_set() -> None:
    async def scenario() -> int:
        tasks = TaskSet(log)
        done = asyncio.Event()

        async def work() -> None:
            done.set()

        task = tasks.spawn(work())
        assert len(tasks) == 1
        await task
        await asyncio.sleep(0)  # the done callback runs on the next loop pass
        assert done.is_set()
        return len(tasks)

    assert asyncio.run(scenario()) == 0


def test_a_failed_task_is_logged_with_its_exception(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        tasks = TaskSet(log, "lookup")

        async def fail() -> None:
            raise ValueError("bad answer")

        await asyncio.gather(tasks.spawn(fail()), return_exceptions=True)
        await asyncio.sleep(0)

    with caplog.at_level(logging.WARNING, logger="test_task_set"):
        asyncio.run(scenario())
    [record] = caplog.records
    assert "lookup failed" in record.getMessage() and "bad answer" in record.getMessage()
    assert record.exc_info is not None


def test_close_waits_for_tasks_that_end_within_the_grace() -> None:
    async def scenario() -> tuple[bool, int, int]:
        tasks = TaskSet(log)
        release = asyncio.Event()
        finished: list[int] = []

        async def send(n: int) -> None:
            await release.wait()
            finished.append(n)

        first = tasks.spawn(send(1))
        tasks.spawn(send(2))
        release.set()
        await tasks.close(grace=30.0)  # returns as soon as both are done, not after 30 s
        return first.cancelled(), len(finished), len(tasks)

    assert asyncio.run(scenario()) == (False, 2, 0)


def test_close_without_grace_cancels_and_a_cancel_is_no_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> bool:
        tasks = TaskSet(log)

        async def stuck() -> None:
            await asyncio.Event().wait()

        task = tasks.spawn(stuck())
        await asyncio.sleep(0)  # let it start waiting
        await tasks.close()
        return task.cancelled() and len(tasks) == 0

    with caplog.at_level(logging.WARNING, logger="test_task_set"):
        assert asyncio.run(scenario())
    assert caplog.records == []
