"""The first-run assistant: LAN only or an account, then an audio check; nothing saved before
Finish.

Shown when the profile has no account and no contacts, and from Phone → Set-up assistant.
Looking a domain up and trying a registration happen in the engine (LocateRegistrar and
TryAccount); their answers come back as events through ``event_seen``. Every page can be
left with Next as it is: an empty SIP address means no account, untouched devices mean
the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import IntEnum

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

from alexphone.engine.commands import Command, LocateRegistrar, TryAccount
from alexphone.engine.events import AccountTried, Event, RegistrarLocated, TrialOutcome
from alexphone.store.config import AppConfig, AudioConfig

DialCheck = Callable[[str], str | None]

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
    """Microphone and speaker, and a test tone."""

    def __init__(self, audio: AudioConfig, test_tone: Callable[[str], object]) -> None:
        super().__init__()
        self.setTitle("Check your audio")
        self.audio_in = QComboBox()
        self.audio_out = QComboBox()
        for box, current in ((self.audio_in, audio.input), (self.audio_out, audio.output)):
            box.setEditable(True)
            box.addItem(current)
        self.tone = QPushButton("Play a test tone")
        # played on the speaker chosen here, before it is saved
        self.tone.clicked.connect(
            lambda: test_tone(self.audio_out.currentText().strip() or "default")
        )
        form = QFormLayout(self)
        form.addRow("Microphone", self.audio_in)
        form.addRow("Speaker", self.audio_out)
        form.addRow("", self.tone)

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
        self.choice = ChoicePage()
        self.account = AccountPage(submit, check)
        self.audio = AudioPage(config.audio, test_tone)
        self.setPage(Page.CHOICE, self.choice)
        self.setPage(Page.ACCOUNT, self.account)
        self.setPage(Page.AUDIO, self.audio)
        self.config: AppConfig | None = None  # what Finish decided; None until then
        self.password = ""

    def event_seen(self, event: Event) -> None:
        """Take the engine's answers (connected to the event bridge)."""
        if isinstance(event, RegistrarLocated):
            self.account.show_located(event)
        elif isinstance(event, AccountTried):
            self.account.show_tried(event)

    def accept(self) -> None:
        """Finish: turn the answers into a config (the caller saves it)."""
        base = self._base
        aor = self.account.aor.text().strip() if self.choice.account.isChecked() else ""
        account = replace(base.account, aor=aor) if aor else base.account
        audio = replace(
            base.audio,
            input=self.audio.audio_in.currentText().strip() or "default",
            output=self.audio.audio_out.currentText().strip() or "default",
        )
        network = replace(base.network, lan_discovery=True)
        self.config = AppConfig(account, audio, network)
        self.password = self.account.password.text() if aor else ""
        super().accept()


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setIndent(24)
    return label
