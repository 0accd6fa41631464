"""The message box that says what was wrong with the profile (``store/profile_check.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget


def open_notice_box(parent: QWidget, notices: Sequence[str]) -> QMessageBox:
    """Open (without blocking) a warning listing ``notices``, one paragraph each."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Alexphone", "Your profile needs a look.")
    box.setInformativeText("\n\n".join(notices))
    box.setParent(parent, box.windowFlags())
    box.open()
    return box
