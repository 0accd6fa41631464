"""The window's garbage collector: automatic collection off, cycles collected on its timer."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from alexphone.gui.collector import GuiThreadCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_cycles_are_collected_by_the_timer_not_automatically(qtbot: QtBot) -> None:
    parent = QObject()
    collector = GuiThreadCollector(parent, interval_ms=10)
    assert not gc.isenabled()
    gc.collect()
    node = Node()
    gone = weakref.ref(node)
    del node
    for _ in range(gc.get_threshold()[0] + 1):  # past the threshold of generation 0
        Node()
    assert gone() is not None  # nothing collects it on its own

    qtbot.waitUntil(lambda: gone() is None, timeout=5000)
    assert collector.collect() == 0  # below every threshold now
    parent.deleteLater()
