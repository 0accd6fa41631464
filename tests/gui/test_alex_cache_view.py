"""The ALEX cache table: filled by the engine, Remove and Clear go through the engine."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from alexphone.alex.cache import CacheEntry, CacheKey, Outcome
from alexphone.engine.commands import ClearAlexCache
from alexphone.gui.main_window import MainWindow
from alexphone.store.alex_cache import AlexCacheStore

WindowFactory = Callable[..., MainWindow]
WAIT_MS = 5000


def _seed(store: AlexCacheStore, peer: str, now: float) -> None:
    key = CacheKey(peer, "audio", "127.0.0.1:4000/udp", "127.0.0.1:5000/udp", "net-1")
    store.record(CacheEntry(key, Outcome.SUCCEEDED, now, now, 0.012))


def test_remove_and_clear_forget_paths_in_the_engine(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    store = AlexCacheStore(window.context.database)
    now = time.time()
    _seed(store, "urn:uuid:bob", now)
    _seed(store, "urn:uuid:carol", now)
    window.show()
    window.start_engine()
    cache = window.cache
    qtbot.waitUntil(lambda: cache.rowCount() == 2, timeout=WAIT_MS)
    assert cache.data(cache.index(0, 4)) == "12 ms"
    panel = window.alex_panel
    bob = next(i for i, e in enumerate(cache.entries()) if e.peer == "urn:uuid:bob")
    panel.cache_view.selectionModel().select(
        cache.index(bob, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert sent.args == [ClearAlexCache("urn:uuid:bob")]
    qtbot.waitUntil(
        lambda: [e.peer for e in cache.entries()] == ["urn:uuid:carol"], timeout=WAIT_MS
    )
    assert [e.key.peer for e in store.entries()] == ["urn:uuid:carol"]
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert sent.args == [ClearAlexCache(None)]
    qtbot.waitUntil(lambda: cache.rowCount() == 0, timeout=WAIT_MS)
    assert store.entries() == []
