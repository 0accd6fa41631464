"""Microphone and speaker pickers for the call panel: switch mid-call and remember the choice.

The lists come from the engine's ``audio.devices``. Choosing an entry asks the engine to move
the running call there (``device_chosen``) and writes the name into config.toml, so the next
call, and the next start, use the same device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QWidget

from alexphone.core.errors import ConfigError
from alexphone.engine.events import DeviceKind
from alexphone.store.config import load_config, save_config


def remember_device(profile: Path, kind: DeviceKind, name: str) -> None:
    """Store ``name`` as the microphone or speaker in the profile's config (if it is readable)."""
    try:
        config = load_config(profile)
    except ConfigError:
        return  # the settings dialog reports a broken file; do not overwrite it
    audio = config.audio
    audio = replace(audio, input=name) if kind is DeviceKind.INPUT else replace(audio, output=name)
    save_config(profile, replace(config, audio=audio))


class DevicePicker(QWidget):
    """Two combo boxes: the microphone and the speaker in use.

    Signals:
        device_chosen(DeviceKind, str): the user picked a device (not set programmatically).
    """

    device_chosen = Signal(object, str)

    def __init__(self, profile: Path | None = None) -> None:
        super().__init__()
        self._profile = profile
        self.microphone = QComboBox()
        self.speaker = QComboBox()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Microphone", self.microphone)
        form.addRow("Speaker", self.speaker)
        self.microphone.activated.connect(lambda _i: self._chosen(DeviceKind.INPUT))
        self.speaker.activated.connect(lambda _i: self._chosen(DeviceKind.OUTPUT))
        chosen = ("default", "default")
        if profile is not None:
            try:
                audio = load_config(profile).audio
                chosen = (audio.input, audio.output)
            except ConfigError:
                pass
        self.set_devices((), (), chosen)

    def set_devices(
        self, inputs: Sequence[str], outputs: Sequence[str], chosen: tuple[str, str] | None = None
    ) -> None:
        """Offer the engine's device names, keeping (or setting) the current choice."""
        current = chosen or (self.microphone.currentText(), self.speaker.currentText())
        for combo, names, name in zip(
            (self.microphone, self.speaker), (inputs, outputs), current, strict=True
        ):
            combo.clear()
            combo.addItems(list(dict.fromkeys(["default", *names, name])))
            combo.setCurrentText(name)

    def _chosen(self, kind: DeviceKind) -> None:
        combo = self.microphone if kind is DeviceKind.INPUT else self.speaker
        name = combo.currentText()
        if self._profile is not None:
            remember_device(self._profile, kind, name)
        self.device_chosen.emit(kind, name)
