"""The first-run assistant: LAN only or an account, then an audio check (microphone and
speaker, level meter, test tone, 3 s recorded and played back); nothing saved before Finish.

Shown when the profile has no account and no contacts, and from Phone → Set-up assistant.
Looking a domain up and trying a registration happen in the engine (LocateRegistrar and
TryAccount); their answers come back as events through ``event_seen``. Every page can be
left with Next as it is: an empty SIP address means no account, untouched devices mean
the defaults.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import IntEnum
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from alexphone.engine.commands import (
    Command,
    LocateRegistrar,
    PlaySound,
    RecordSound,
    StopSound,
    TryAccount,
)
from alexphone.engine.events import (
    AccountTried,
    Event,
    RecordingState,
    RegistrarLocated,
    SoundRecording,
    TrialOutcome,
)
from alexphone.gui.level_meter import FLOOR_DB, LevelMeter
from alexphone.store.config import AppConfig, AudioConfig

DialCheck = Callable[[str], str | None]
RECORD_SECONDS = 3.0

SAID = {
    TrialOutcome.REGISTERED: "Registered: this account works.",
    TrialOutcome.WRONG_PASSWORD: "Wrong password (or user name): the server refused them.",
    TrialOutcome.NO_SERVER: "No server found for this domain.",
    TrialOutcome.NO_ANSWER: "The server did not answer.",
    TrialOutcome.REFUSED: "The server refused the registration",
}


class Page(IntEnum):
    """The assistant's pages, in order."""

    CHOICE = 0
    ACCOUNT = 1
    AUDIO = 2


class ChoicePage(QWizardPage):
    """LAN only, or add an account."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("How will you call?")
        self.lan_only = QRadioButton("Use on this network only")
        self.account = QRadioButton("Add an account")
        self.lan_only.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.lan_only)
        group.addButton(self.account)
        layout = QVBoxLayout(self)
        layout.addWidget(self.lan_only)
        layout.addWidget(_note("Call phones on your network by name; no server needed."))
        layout.addWidget(self.account)
        layout.addWidget(_note("Register with your SIP provider to call anyone."))

    def nextId(self) -> int:  # noqa: N802
        """The account page if one is to be added, else the audio check."""
        return int(Page.ACCOUNT if self.account.isChecked() else Page.AUDIO)


class AccountPage(QWizardPage):
    """SIP address and password; the server is found, and the registration tried, live."""

    def __init__(self, submit: Callable[[Command], None], check: DialCheck) -> None:
        super().__init__()
        self._submit = submit
        self._check = check
        self.setTitle("Add an account")
        self.setSubTitle("Leave the address empty to skip this step.")
        self.aor = QLineEdit()
        self.aor.setPlaceholderText("sip:alice@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.server = QLabel("")
        self.server.setWordWrap(True)
        self.try_button = QPushButton("Try registration")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("SIP address", self.aor)
        form.addRow("Password", self.password)
        form.addRow("Server", self.server)
        form.addRow("", self.try_button)
        form.addRow("", self.result)
        self.aor.editingFinished.connect(self.locate)
        self.try_button.clicked.connect(self.try_registration)

    def domain(self) -> str:
        """The domain part of the address typed ("" if none)."""
        text = self.aor.text().strip().removeprefix("sip:").removeprefix("sips:")
        return text.partition("@")[2].partition(";")[0] if "@" in text else ""

    def locate(self) -> None:
        """Ask the engine where the domain's server is (RFC 3263)."""
        domain = self.domain()
        if domain:
            self.server.setText(f"Looking up {domain}…")
            self._submit(LocateRegistrar(domain))

    def try_registration(self) -> None:
        """Ask the engine to register once with what is typed, then unregister."""
        aor = self.aor.text().strip()
        reason = self._check(aor) if aor else "type a SIP address first"
        if reason is not None:
            self.result.setText(reason)
            return
        self.result.setText("Trying…")
        self._submit(TryAccount(aor, self.password.text()))

    def show_located(self, event: RegistrarLocated) -> None:
        """Show the server found for the typed domain."""
        if event.domain != self.domain():
            return
        if event.targets:
            self.server.setText(", ".join(event.targets))
        else:
            self.server.setText(f"No server found for {event.domain}: {event.reason}")

    def show_tried(self, event: AccountTried) -> None:
        """Say in plain words how the trial registration went."""
        said = SAID[event.outcome]
        if event.outcome is TrialOutcome.REFUSED:
            said += f" ({event.code or ''} {event.reason})".replace("( ", "(")
        self.result.setText(said)

    def validatePage(self) -> bool:  # noqa: N802
        """Refuse a malformed address (an empty one skips the account)."""
        aor = self.aor.text().strip()
        reason = self._check(aor) if aor else None
        if reason is not None:
            self.result.setText(reason)
        return reason is None


class AudioPage(QWizardPage):
    """Microphone and speaker, a level meter, a test tone, and 3 s recorded and played back.

    The recording goes to a temporary directory of the assistant's own, removed when it
    closes: nothing of the check is kept.
    """

    def __init__(
        self,
        audio: AudioConfig,
        test_tone: Callable[[str], object],
        submit: Callable[[Command], None],
        recording: Path,
    ) -> None:
        super().__init__()
        self.setTitle("Check your audio")
        self.setSubTitle("Pick your microphone and speaker, then try them (or just go on).")
        self._submit = submit
        self.recording = recording
        self.audio_in = QComboBox()
        self.audio_out = QComboBox()
        for box, current in ((self.audio_in, audio.input), (self.audio_out, audio.output)):
            box.setEditable(True)
            box.addItem(current)
        self.tone = QPushButton("Play a test tone")
        # played on the speaker chosen here, before it is saved
        self.tone.clicked.connect(lambda: test_tone(self.speaker()))
        self.meter = LevelMeter("Microphone")
        self.record = QPushButton(f"Record {RECORD_SECONDS:.0f} s")
        self.play_back = QPushButton("Play it back")
        self.play_back.setEnabled(False)
        self.said = QLabel("")
        self.said.setWordWrap(True)
        self.record.clicked.connect(self.start_recording)
        self.play_back.clicked.connect(
            lambda: self._submit(PlaySound(str(self.recording), self.speaker()))
        )
        form = QFormLayout(self)
        form.addRow("Microphone", self.audio_in)
        form.addRow("Level", self.meter)
        form.addRow("Speaker", self.audio_out)
        form.addRow("", self.tone)
        form.addRow("", self.record)
        form.addRow("", self.play_back)
        form.addRow("", self.said)

    def microphone(self) -> str:
        """The microphone chosen on the page ("default" if none)."""
        return self.audio_in.currentText().strip() or "default"

    def speaker(self) -> str:
        """The speaker chosen on the page ("default" if none)."""
        return self.audio_out.currentText().strip() or "default"

    def start_recording(self) -> None:
        """Ask the engine to record from the chosen microphone; the meter follows."""
        self.record.setEnabled(False)
        self.play_back.setEnabled(False)
        self.said.setText("Recording… say something.")
        self._submit(RecordSound(str(self.recording), self.microphone(), RECORD_SECONDS))

    def show_recording(self, event: SoundRecording) -> None:
        """Move the meter; at the end say what was heard and offer to play it back."""
        if event.path != str(self.recording):
            return
        self.meter.set_db(event.level_db)
        if event.state is RecordingState.RECORDING:
            return
        self.record.setEnabled(True)
        if event.state is RecordingState.FAILED:
            self.said.setText(f"Could not record from {self.microphone()}: pick another one.")
        elif event.level_db <= FLOOR_DB:
            self.said.setText(
                "Nothing was heard: check that the microphone is plugged in and not muted."
            )
        else:
            self.play_back.setEnabled(True)
            self.said.setText(f"Recorded {event.seconds:.0f} s. Play it back to hear yourself.")

    def set_devices(self, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        """Offer the sound cards the engine sees, keeping the current choice."""
        for box, names in ((self.audio_in, inputs), (self.audio_out, outputs)):
            current = box.currentText()
            box.clear()
            box.addItems(list(dict.fromkeys(["default", *names])))
            box.setCurrentText(current)


class FirstRunWizard(QWizard):
    """Builds a config from the user's answers; ``config``/``password`` are set on Finish."""

    def __init__(
        self,
        config: AppConfig,
        submit: Callable[[Command], None],
        check: DialCheck,
        test_tone: Callable[[str], object],  # plays on the named output
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up Alexphone")
        self._base = config
        self._submit = submit
        self._scratch = tempfile.TemporaryDirectory(prefix="alexphone-check-")
        self.choice = ChoicePage()
        self.account = AccountPage(submit, check)
        recording = Path(self._scratch.name) / "microphone-check.wav"
        self.audio = AudioPage(config.audio, test_tone, submit, recording)
        self.setPage(Page.CHOICE, self.choice)
        self.setPage(Page.ACCOUNT, self.account)
        self.setPage(Page.AUDIO, self.audio)
        self.config: AppConfig | None = None  # what Finish decided; None until then
        self.password = ""
        self.finished.connect(self._clean_up)

    def event_seen(self, event: Event) -> None:
        """Take the engine's answers (connected to the event bridge)."""
        if isinstance(event, RegistrarLocated):
            self.account.show_located(event)
        elif isinstance(event, AccountTried):
            self.account.show_tried(event)
        elif isinstance(event, SoundRecording):
            self.audio.show_recording(event)

    def accept(self) -> None:
        """Finish: turn the answers into a config (the caller saves it)."""
        base = self._base
        aor = self.account.aor.text().strip() if self.choice.account.isChecked() else ""
        accounts = (
            base.with_account(0, replace(base.account, aor=aor)).accounts if aor else base.accounts
        )
        audio = replace(base.audio, input=self.audio.microphone(), output=self.audio.speaker())
        network = replace(base.network, lan_discovery=True)
        self.config = AppConfig(accounts, audio, network)
        self.password = self.account.password.text() if aor else ""
        super().accept()

    def _clean_up(self) -> None:
        """Stop a recording or playback of the check and remove its file (Finish or Cancel)."""
        if not self.audio.record.isEnabled() or self.audio.play_back.isEnabled():
            self._submit(StopSound())
        self._scratch.cleanup()


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setIndent(24)
    return label
