"""Plays the ringtone or ringback WAV in a loop through the system's player, if there is one.

Audio devices belong to the media engine; until it rings for us, the GUI
hands the WAV from resources/sounds to ``paplay`` or ``aplay`` in a
QProcess (never blocking the GUI thread). No player means a silent ring.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QObject, QProcess

PLAYERS = ("paplay", "aplay")


class Ringer(QObject):
    """Loops one sound until stopped."""

    def __init__(self, sounds: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sounds = sounds
        self._player = next((p for p in PLAYERS if shutil.which(p)), None)
        self._process: QProcess | None = None
        self._file: Path | None = None

    @property
    def playing(self) -> bool:
        """Tell whether a sound is looping."""
        return self._file is not None

    def start(self, name: str) -> None:
        """Loop ``name``.wav (e.g. "ringtone", "ringback") until stop()."""
        self.stop()
        if self._sounds is None:
            return
        path = self._sounds / f"{name}.wav"
        if path.is_file():
            self._file = path
            self._play()

    def play_once(self, name: str) -> bool:
        """Play ``name``.wav once (the settings' test tone); False if it cannot be played."""
        self.stop()
        path = self._sounds / f"{name}.wav" if self._sounds is not None else None
        if path is None or not path.is_file() or self._player is None:
            return False
        self._process = QProcess(self)
        self._process.start(self._player, [str(path)])
        return True

    def stop(self) -> None:
        """Stop the sound."""
        self._file = None
        if self._process is not None:
            self._process.kill()
            self._process.waitForFinished(200)
            self._process = None

    def _play(self) -> None:
        if self._file is None or self._player is None:
            return
        process = QProcess(self)
        process.finished.connect(self._play)
        process.start(self._player, [str(self._file)])
        self._process = process
