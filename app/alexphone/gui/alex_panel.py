"""ALEX page: our items, the peer's items and the connection list of a call; the cache below."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.alex_model import CacheModel, PairModel


def _table(model: PairModel | CacheModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.setShowGrid(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return view


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.addWidget(widget)
    return box


class AlexPanel(QWidget):
    """Shows what ALEX knows for the current call and what it remembers across calls.

    Signals:
        clear_requested(object): forget the cached paths of a peer (str), or all (None).
    """

    clear_requested = Signal(object)

    def __init__(self, pairs: PairModel, cache: CacheModel) -> None:
        super().__init__()
        self.pairs = pairs
        self.cache = cache
        self.local_items = QStringListModel()
        self.remote_items = QStringListModel()
        local_view = QListView()
        local_view.setModel(self.local_items)
        remote_view = QListView()
        remote_view.setModel(self.remote_items)
        self.pair_view = _table(pairs)
        self.cache_view = _table(cache)
        self.call_label = QLabel("No call selected: the lists fill in during a call.")
        self.call_label.setObjectName("hint")
        items = QHBoxLayout()
        items.addWidget(_group("Our addresses", local_view))
        items.addWidget(_group("Peer's addresses", remote_view))
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.call_label)
        top_layout.addLayout(items, 1)
        pairs_box = _group("Connection list (the selected pair is highlighted)", self.pair_view)
        top_layout.addWidget(pairs_box, 2)
        self.remove_button = remove = QPushButton("Remove")
        self.clear_button = clear = QPushButton("Clear cache")
        cache_bar = QHBoxLayout()
        cache_bar.addWidget(QLabel("Paths that worked before are tried first next time."), 1)
        cache_bar.addWidget(remove)
        cache_bar.addWidget(clear)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(cache_bar)
        bottom_layout.addWidget(self.cache_view)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(_group("ALEX cache", bottom))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(splitter)
        remove.clicked.connect(self._remove_selected)
        clear.clicked.connect(lambda: self.clear_requested.emit(None))
        for signal in (pairs.modelReset, pairs.rowsInserted, pairs.dataChanged):
            signal.connect(self._refresh_items)

    def show_call(self, call_id: str, remote: str) -> None:
        """Show the connection list of ``call_id``."""
        self.pairs.show_call(call_id)
        self.call_label.setText(f"Call with {remote}" if call_id else "No call selected.")

    def _refresh_items(self) -> None:
        self.local_items.setStringList(self.pairs.items("local"))
        self.remote_items.setStringList(self.pairs.items("remote"))

    def _remove_selected(self) -> None:
        """Ask the engine to forget the selected rows' peers; its answer refreshes the table."""
        selected = self.cache_view.selectionModel().selectedRows()
        peers = {self.cache.entries()[index.row()].peer for index in selected}
        for peer in sorted(peers):
            self.clear_requested.emit(peer)
