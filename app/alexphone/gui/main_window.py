"""The main window: dial box and contacts / LAN / history on the left; the call on the right.

The composition root hands it its models and their dispatcher (``window_models.py``);
the window owns the engine thread. Every command the user gives goes through
``submit`` (and is announced on ``command_sent``, the seam tests and the tray listen to).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alexphone.engine.commands import ClearAlexCache, Command, ListAudioDevices, PlaceCall
from alexphone.engine.events import ErrorSource
from alexphone.gui.account_editor import account_key
from alexphone.gui.alex_panel import AlexPanel
from alexphone.gui.bridge import EngineRunner, EngineThread, EventBridge
from alexphone.gui.call_desk import CallDesk, DeskParts
from alexphone.gui.call_panel import CallPanel
from alexphone.gui.call_switcher import CallSwitcher
from alexphone.gui.contact_files import ContactFiles
from alexphone.gui.dial_box import DialBox, DialCheck
from alexphone.gui.first_run import FirstRunWizard
from alexphone.gui.list_actions import ListActions
from alexphone.gui.phone_menu import PhoneMenu
from alexphone.gui.profile_notice import open_notice_box
from alexphone.gui.ringer import Ringer
from alexphone.gui.settings_dialog import SettingsDialog
from alexphone.gui.shortcuts import install_shortcuts
from alexphone.gui.side_tabs import SideTabs
from alexphone.gui.sip_log_view import SipLogView
from alexphone.gui.transfer_flow import FlowParts, TransferFlow, destinations
from alexphone.gui.tray import PhoneTray
from alexphone.gui.window_models import WindowModels
from alexphone.store.config import CONFIG_NAME, load_config_or_defaults, save_config
from alexphone.store.credentials import CredentialsError, PasswordStore


@dataclass(frozen=True, slots=True)
class WindowContext:
    """What the composition root hands the window: profile, database, engine, checks."""

    profile: Path
    database: sqlite3.Connection
    runner: Callable[[], EngineRunner]
    check: DialCheck
    icon: QIcon | None = None
    sounds: Path | None = None
    log_path: Path | None = None
    passwords: PasswordStore | None = None


class MainWindow(QMainWindow):
    """The softphone window.

    Signals:
        command_sent(Command): a command left for the engine.
    """

    command_sent = Signal(object)

    def __init__(self, context: WindowContext, models: WindowModels | None = None) -> None:
        """Lay out ``models`` (built over ``context.database`` when the caller gives none)."""
        super().__init__()
        models = models or WindowModels.build(context.database)
        self.context = context
        self.setWindowTitle("Alexphone")
        self.resize(1040, 680)
        if context.icon is not None:
            self.setWindowIcon(context.icon)
        self.passwords = context.passwords or PasswordStore(context.profile)
        self.models = models
        self.calls, self.peers, self.cache = models.calls, models.peers, models.cache
        self.contacts, self.history, self.log = models.contacts, models.history, models.log
        self.dispatcher = models.dispatcher
        self.bridge = EventBridge(self)
        self.bridge.event_received.connect(self.dispatcher.dispatch)
        self.engine: EngineThread | None = None
        self.ringer = Ringer(context.sounds, self.submit, context.profile, self)
        self.settings_dialog: SettingsDialog | None = None
        self.registrations: dict[str, str] = {}  # account -> its latest registration state
        self.profile_notice: QMessageBox | None = None
        self._build()
        self.desk = CallDesk(
            DeskParts(
                self.calls,
                self.call_panel,
                self.switcher,
                self.alex_panel,
                self.tray,
                self.ringer,
                self.idle,
                self.idle_text,
            ),
            self.dispatcher,
            self.submit,
            self,
        )
        self.incoming_dialogs = self.desk.incoming_dialogs  # one per ringing call
        self.transfers = TransferFlow(
            FlowParts(
                self.call_panel,
                self.calls,
                self.dispatcher,
                lambda: destinations(self.contacts, self.peers),
                context.check,
            ),
            self.submit,
            self,
        )
        self.lists = ListActions(
            self.side_tabs,
            models,
            context.check,
            self.place_call,
            self._refresh_completions,
            self,
        )
        self.shortcuts = install_shortcuts(self, self.call_panel, self.dial_box)
        self.contact_files = ContactFiles(self, self.contacts, models.contact_store)
        self._connect()
        self._refresh_completions()
        self._refresh_accounts()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.dial_box = DialBox(self.context.check)
        self.side_tabs = SideTabs(self.contacts, self.peers, self.history)
        title_icon = QLabel()
        if self.context.icon is not None and not self.context.icon.isNull():
            title_icon.setPixmap(self.context.icon.pixmap(28, 28))
        title_text = QLabel("Alexphone")
        title_text.setObjectName("appTitle")
        title = QWidget()
        title_row = QHBoxLayout(title)
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.setSpacing(8)
        title_row.addWidget(title_icon)
        title_row.addWidget(title_text, 1)
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.dial_box)
        layout.addWidget(self.side_tabs, 1)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.call_panel = CallPanel(profile=self.context.profile)
        self.switcher = CallSwitcher()  # from the second call on
        self.idle = QFrame()
        self.idle.setObjectName("idleCard")
        idle_layout = QVBoxLayout(self.idle)
        idle_layout.setContentsMargins(16, 14, 16, 14)
        idle_title = QLabel("No call")
        idle_title.setObjectName("callRemote")
        self.idle_text = QLabel("Double-click a contact or type an address to call.")
        self.idle_text.setObjectName("hint")
        self.idle_text.setWordWrap(True)
        idle_layout.addWidget(idle_title)
        idle_layout.addWidget(self.idle_text)
        self.alex_panel = AlexPanel(self.models.pairs, self.cache)
        self.log_view = SipLogView(self.log)
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self.alex_panel, "Paths (ALEX)")
        self.detail_tabs.addTab(self.log_view, "SIP log")
        main = QWidget()
        layout = QVBoxLayout(main)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addWidget(self.idle)
        layout.addWidget(self.switcher)
        layout.addWidget(self.call_panel)
        layout.addWidget(self.detail_tabs, 1)
        splitter = QSplitter()
        splitter.addWidget(sidebar)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 680])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("Starting…")
        self.tray = PhoneTray(self.context.icon or QIcon(), self)
        self.menu = PhoneMenu(self, self.tray.dnd_action)
        self.settings_action = self.menu.settings_action
        self.restart_action = self.menu.restart_action
        self.first_run_action = self.menu.first_run_action
        remotes = self.models.history_store.remotes(1)
        self.tray.set_last_dialled(remotes[0] if remotes else "")

    def _connect(self) -> None:
        self.dial_box.dial_requested.connect(self.place_call)
        self.dispatcher.audio_problem.connect(self._audio_problem)
        self.dispatcher.status_changed.connect(self.statusBar().showMessage)
        self.dispatcher.error_reported.connect(self._error_reported)
        self.dispatcher.registration_changed.connect(self.tray.set_registration)
        self.dispatcher.registration_changed.connect(self._registration_changed)
        self.alex_panel.clear_requested.connect(lambda peer: self.submit(ClearAlexCache(peer)))
        self.tray.toggle_requested.connect(self.toggle_visible)
        self.tray.dial_last_requested.connect(self.place_call)
        self.tray.quit_requested.connect(self.close)
        self.settings_action.triggered.connect(self.open_settings)
        self.first_run_action.triggered.connect(self.open_first_run)
        self.restart_action.triggered.connect(self.restart_engine)
        self.history.modelReset.connect(self._refresh_completions)
        self.contact_files.contacts_imported.connect(lambda _n: self._refresh_completions())
        self.contact_files.said.connect(lambda text: self.statusBar().showMessage(text, 10000))

    # -- engine ------------------------------------------------------------------------------

    def start_engine(self) -> None:
        """Start the engine thread (the window works, offline, before this)."""
        engine = EngineThread(self.context.runner(), self.bridge)
        engine.failed.connect(self._engine_failed)
        self.engine = engine
        engine.start()

    def restart_engine(self) -> None:
        """Stop the engine if it runs and start a fresh one (after a crash or new settings)."""
        self.stop_engine()
        self.registrations.clear()  # the new engine reports its own accounts
        self._refresh_accounts()
        self.banner.hide()
        self.statusBar().showMessage("Restarting the engine…")
        self.start_engine()

    def stop_engine(self, timeout_ms: int = 2500) -> bool:
        """Shut the engine down cleanly; True if it stopped within ``timeout_ms``."""
        engine, self.engine = self.engine, None
        return engine is None or engine.shut_down(timeout_ms)

    def submit(self, command: Command) -> None:
        """Send ``command`` to the engine and announce it on ``command_sent``."""
        if self.engine is not None:
            self.engine.submit(command)
        self.command_sent.emit(command)

    def place_call(self, uri: str) -> None:
        """Call ``uri`` (already checked), or as soon as the engine is up."""
        self.tray.set_last_dialled(uri)
        self.submit(PlaceCall(uri, self.dial_box.chosen_account()))

    def _registration_changed(self, account: str, state: str) -> None:
        new = account not in self.registrations
        self.registrations[account] = state
        if new:
            self._refresh_accounts()
        if self.settings_dialog is not None:
            self.settings_dialog.accounts.set_state(account, state)

    def _refresh_accounts(self) -> None:
        """Offer the dial box the accounts: config.toml's in order, then any the engine has."""
        config = load_config_or_defaults(self.context.profile)
        names = [account_key(account.aor) for account in config.accounts]
        self.dial_box.set_accounts([*names, *self.registrations])

    def launched(self, uri: str) -> None:
        """Another launch of this profile: come forward, and dial ``uri`` if one was given."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        if uri:
            self.dial_box.edit.setText(uri)
            self.dial_box.submit()

    def toggle_visible(self) -> None:
        """Hide the window to the tray, or bring it back."""
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.showNormal()
            self.raise_()
            self.activateWindow()

    def _engine_failed(self, text: str) -> None:
        last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
        where = f" Details are in {self.context.log_path}." if self.context.log_path else ""
        self.banner.setText(f"The phone engine stopped: {last}.{where}")
        self.banner.show()
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Alexphone")
        box.setText("The phone engine stopped.")
        box.setInformativeText(f"{last}\n{where.strip()}")
        box.setDetailedText(text)
        restart = box.addButton("Restart engine", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.buttonClicked.connect(
            lambda button: self.restart_engine() if button is restart else None
        )
        box.open()

    # -- problems ----------------------------------------------------------------------------

    def _audio_problem(self, text: str) -> None:
        self.banner.setText(f"{text} Pick another device in Phone → Accounts & settings → Audio.")
        self.banner.show()

    def show_profile_notices(self, notices: Sequence[str]) -> None:
        """Say what was wrong with the profile (files set aside, defaults used), once."""
        if notices:
            self.banner.setText("\n".join(notices))
            self.banner.show()
            self.profile_notice = open_notice_box(self, notices)

    def _error_reported(self, where: ErrorSource, message: str) -> None:
        if where is ErrorSource.CALL:
            self.dial_box.error.setText(message)
            self.dial_box.error.show()
        elif where is ErrorSource.AUDIO:
            self.banner.setText(f"{message} — pick another device in Accounts & settings.")
            self.banner.show()
        else:
            self.statusBar().showMessage(f"{where.value}: {message}", 10000)

    # -- lists -------------------------------------------------------------------------------

    def _refresh_completions(self) -> None:
        entries = self.models.history_store.remotes() + [
            c.uri for c in self.models.contact_store.all()
        ]
        self.dial_box.set_completions(entries)

    # -- settings and shutdown ---------------------------------------------------------------

    def open_settings(self) -> None:
        """Show Accounts & settings; on Save write config.toml and restart the engine."""
        config = load_config_or_defaults(self.context.profile)  # a broken one was set aside
        dialog = SettingsDialog(
            config,
            self.passwords,
            self.context.check,
            self,
            test_tone=lambda device: self.ringer.play_once("ringback", device),
            states=self.registrations,
        )
        self.dispatcher.devices_listed.connect(dialog.set_devices)
        self.dispatcher.levels_changed.connect(dialog.show_level)
        dialog.finished.connect(lambda _r: self._settings_closed(dialog))
        self.submit(ListAudioDevices())
        self.settings_dialog = dialog
        if dialog.exec() and dialog.saved_config is not None:
            save_config(self.context.profile, dialog.saved_config)
            self._refresh_accounts()
            if self.engine is not None:
                self.restart_engine()

    def needs_first_run(self) -> bool:
        """Tell whether the profile is new: never set up (no config.toml), no contacts.

        Choosing "Use on this network only" writes config.toml without an account, so the
        assistant is not shown again at the next start.
        """
        if (self.context.profile / CONFIG_NAME).exists():
            return False  # set up before (or broken, which is reported elsewhere)
        return not self.models.contact_store.all()

    def open_first_run(self) -> FirstRunWizard:
        """Show the set-up assistant; its Finish saves config.toml and restarts the engine."""
        wizard = FirstRunWizard(
            load_config_or_defaults(self.context.profile),
            self.submit,
            self.context.check,
            lambda device: self.ringer.play_once("ringback", device),
            self,
        )
        self.bridge.event_received.connect(wizard.event_seen)
        self.dispatcher.devices_listed.connect(wizard.audio.set_devices)
        wizard.finished.connect(lambda _r: self._first_run_closed(wizard))
        self.submit(ListAudioDevices())
        wizard.open()
        return wizard

    def _first_run_closed(self, wizard: FirstRunWizard) -> None:
        self.bridge.event_received.disconnect(wizard.event_seen)
        self.dispatcher.devices_listed.disconnect(wizard.audio.set_devices)
        if wizard.config is None:
            return  # cancelled: nothing is saved
        if wizard.config.account.aor and wizard.password:
            try:
                self.passwords.set(wizard.config.account.aor, wizard.password)
            except CredentialsError as exc:
                self.banner.setText(f"The password was not saved: {exc}.")
                self.banner.show()
        save_config(self.context.profile, wizard.config)
        if self.engine is not None:
            self.restart_engine()

    def _settings_closed(self, dialog: SettingsDialog) -> None:
        self.dispatcher.devices_listed.disconnect(dialog.set_devices)
        self.dispatcher.levels_changed.disconnect(dialog.show_level)
        self.settings_dialog = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Say goodbye (unregister, BYE) within 2 s, then close."""
        self.ringer.stop()
        self.desk.close_dialogs()
        self.stop_engine(2000)
        self.tray.hide()
        event.accept()
