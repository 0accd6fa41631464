"""The rtnetlink watch never blocks the event loop with pyroute2's slow import."""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from types import ModuleType

import pytest

from alexphone.net.netlink_watch import NetlinkUnavailable, watch_rtnetlink


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="rtnetlink is Linux's")
def test_pyroute2_is_imported_by_a_worker_thread_not_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    importers: list[tuple[str, threading.Thread]] = []
    real_import = importlib.import_module

    def spy(name: str, package: str | None = None) -> ModuleType:
        importers.append((name, threading.current_thread()))
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", spy)

    async def main() -> BaseException | None:
        subscribed = asyncio.Event()
        watch = asyncio.create_task(watch_rtnetlink(lambda _: None, subscribed.set))
        ready = asyncio.create_task(subscribed.wait())
        await asyncio.wait({watch, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        for task in (watch, ready):
            task.cancel()
        outcome, _ = await asyncio.gather(watch, ready, return_exceptions=True)
        return outcome

    ended = asyncio.run(main())

    # subscribed and then cancelled, or refused (no rtnetlink in this sandbox) after the import
    assert isinstance(ended, asyncio.CancelledError | NetlinkUnavailable), ended

    pyroute2 = [thread for name, thread in importers if name == "pyroute2"]
    assert pyroute2, importers
    assert threading.main_thread() not in pyroute2
