"""A horizontal audio level meter: dBFS readings (``audio.level``) shown from -60 to 0 dB."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

FLOOR_DB = -60.0


class LevelMeter(QProgressBar):
    """Shows one audio level; anything at or below ``FLOOR_DB`` reads as silence."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.setRange(0, 100)
        self.setTextVisible(False)
        self.setFixedHeight(8)
        self.set_db(None)

    @property
    def db(self) -> float | None:
        """Return the last reading (None: no reading, e.g. no call)."""
        return self._db

    def set_db(self, db: float | None) -> None:
        """Show ``db`` (dBFS), or an empty meter for None."""
        self._db = db
        fraction = 0.0 if db is None else min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))
        self.setValue(round(100 * fraction))
        shown = "—" if db is None or db <= FLOOR_DB else f"{db:.0f} dBFS"
        self.setToolTip(f"{self.label}: {shown}")
