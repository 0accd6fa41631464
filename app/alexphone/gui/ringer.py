"""Asks the engine to loop the ringtone or ringback, or to play the test tone once.

The WAVs come from resources/sounds; the engine plays them through PortAudio on the device
the user chose (``PlaySound``): the ringer device for the ringtone, the speaker for ringback
and the test tone. The GUI never touches an audio device itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from alexphone.core.errors import ConfigError
from alexphone.engine.commands import Command, PlaySound, StopSound
from alexphone.store.config import load_config

RINGER_SOUNDS = frozenset({"ringtone"})  # played on the ringer device, the rest on the speaker


class Ringer(QObject):
    """Loops one sound until stopped."""

    def __init__(
        self,
        sounds: Path | None,
        submit: Callable[[Command], None],
        profile: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._sounds = sounds
        self._submit = submit
        self._profile = profile
        self._playing: str | None = None

    def _devices(self) -> tuple[str, str]:
        """Return the (ringer, speaker) devices as last saved in Settings."""
        try:
            audio = load_config(self._profile).audio
        except ConfigError:  # the settings dialog says what is wrong; ring meanwhile
            return "default", "default"
        return audio.ringer, audio.output

    @property
    def playing(self) -> bool:
        """Tell whether a sound is looping."""
        return self._playing is not None

    def _path(self, name: str) -> Path | None:
        path = self._sounds / f"{name}.wav" if self._sounds is not None else None
        return path if path is not None and path.is_file() else None

    def start(self, name: str) -> None:
        """Loop ``name``.wav (e.g. "ringtone", "ringback") until stop()."""
        self.stop()
        path = self._path(name)
        if path is None:
            return
        ringer, speaker = self._devices()
        device = ringer if name in RINGER_SOUNDS else speaker
        self._submit(PlaySound(str(path), device, repeat=True))
        self._playing = name

    def play_once(self, name: str, device: str) -> bool:
        """Play ``name``.wav once on ``device`` (the settings' test tone); False if missing."""
        self.stop()
        path = self._path(name)
        if path is None:
            return False
        self._submit(PlaySound(str(path), device))
        return True

    def stop(self) -> None:
        """Stop the sound."""
        if self._playing is not None:
            self._playing = None
            self._submit(StopSound())
