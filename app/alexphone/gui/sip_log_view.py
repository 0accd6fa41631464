"""The SIP log page: a monospace list of the session's messages and events, copyable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.sip_log_model import SipLogModel


class SipLogView(QWidget):
    """List view over the log model with Copy and Clear; Ctrl+C copies the selection."""

    def __init__(self, model: SipLogModel) -> None:
        super().__init__()
        self.model = model
        self.view = QListView()
        self.view.setModel(model)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setUniformItemSizes(False)
        self.view.setWordWrap(True)
        copy = QPushButton("Copy all")
        clear = QPushButton("Clear")
        note = QLabel("Messages and events of this session, for debugging a provider.")
        note.setObjectName("hint")
        bar = QHBoxLayout()
        bar.addWidget(note, 1)
        bar.addWidget(copy)
        bar.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        copy.clicked.connect(self.copy_all)
        clear.clicked.connect(model.clear)
        shortcut = QShortcut(QKeySequence.StandardKey.Copy, self.view)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.copy_selection)
        model.rowsInserted.connect(self._follow)

    def copy_all(self) -> None:
        """Put the whole log on the clipboard."""
        QGuiApplication.clipboard().setText(self.model.text())

    def copy_selection(self) -> None:
        """Put the selected lines on the clipboard."""
        rows = [index.row() for index in self.view.selectionModel().selectedRows()]
        QGuiApplication.clipboard().setText(self.model.text(rows))

    def _follow(self) -> None:
        bar = self.view.verticalScrollBar()
        if bar.value() >= bar.maximum() - 4:
            self.view.scrollToBottom()
