"""Item data roles shared by the models and the delegate that paints them."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt


class ItemRole(IntEnum):
    """Extra roles beyond Qt's: what the two-line delegate and the views read."""

    SUBTITLE = Qt.ItemDataRole.UserRole + 1
    BADGE = Qt.ItemDataRole.UserRole + 2
    VALUE = Qt.ItemDataRole.UserRole + 3
    SEARCH = Qt.ItemDataRole.UserRole + 4
