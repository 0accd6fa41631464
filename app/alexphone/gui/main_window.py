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

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
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

from alexphone.engine.commands import (
    Answer,
    ClearAlexCache,
    Command,
    Decline,
    HangUp,
    Hold,
    ListAudioDevices,
    Mute,
    OtherCalls,
    PlaceCall,
    SendDtmf,
    SwitchAudioDevice,
)
from alexphone.engine.events import CallState, Direction, ErrorSource
from alexphone.gui.alex_panel import AlexPanel
from alexphone.gui.bridge import EngineRunner, EngineThread, EventBridge
from alexphone.gui.call_model import CallInfo
from alexphone.gui.call_panel import CallPanel
from alexphone.gui.call_switcher import CallSwitcher, keeps_focus
from alexphone.gui.contact_dialog import ContactDialog
from alexphone.gui.contact_files import ContactFiles
from alexphone.gui.dial_box import DialBox, DialCheck
from alexphone.gui.first_run import FirstRunWizard
from alexphone.gui.incoming_dialog import IncomingDialog
from alexphone.gui.profile_notice import open_notice_box
from alexphone.gui.ringer import Ringer
from alexphone.gui.settings_dialog import SettingsDialog
from alexphone.gui.shortcuts import install_shortcuts
from alexphone.gui.side_tabs import SideTabs
from alexphone.gui.sip_log_view import SipLogView
from alexphone.gui.tray import PhoneTray
from alexphone.gui.window_models import WindowModels
from alexphone.store.config import CONFIG_NAME, load_config_or_defaults, save_config
from alexphone.store.contacts import Contact
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
        self.incoming_dialogs: dict[str, IncomingDialog] = {}
        self.settings_dialog: SettingsDialog | None = None
        self.profile_notice: QMessageBox | None = None
        self._build()
        self.shortcuts = install_shortcuts(self, self.call_panel, self.dial_box)
        self.contact_files = ContactFiles(self, self.contacts, models.contact_store)
        self._connect()
        self._refresh_completions()

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
        menu = self.menuBar().addMenu("&Phone")
        self.settings_action = QAction("Accounts && settings…", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.restart_action = QAction("Restart engine", self)
        self.first_run_action = QAction("Set-up assistant…", self)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (
            self.first_run_action,
            self.settings_action,
            self.restart_action,
            quit_action,
        ):
            menu.addAction(action)
        self.statusBar().showMessage("Starting…")
        self.tray = PhoneTray(self.context.icon or QIcon(), self)
        menu.insertAction(quit_action, self.tray.dnd_action)
        remotes = self.models.history_store.remotes(1)
        self.tray.set_last_dialled(remotes[0] if remotes else "")

    def _connect(self) -> None:
        tabs = self.side_tabs
        self.dial_box.dial_requested.connect(self.place_call)
        tabs.search.textChanged.connect(tabs.contact_filter.setFilterFixedString)
        tabs.contact_view.activated.connect(self._contact_activated)  # double-click and Enter
        tabs.add_contact.clicked.connect(lambda: self._edit_contact(None))
        tabs.edit_contact.clicked.connect(self._edit_selected_contact)
        tabs.delete_contact.clicked.connect(self._delete_selected_contact)
        tabs.peer_view.activated.connect(self._peer_activated)
        tabs.call_peer.clicked.connect(lambda: self._peer_activated(tabs.peer_view.currentIndex()))
        tabs.save_peer.clicked.connect(self._save_peer)
        tabs.history_view.activated.connect(self._history_activated)
        tabs.call_back.clicked.connect(
            lambda: self._history_activated(tabs.history_view.currentIndex())
        )
        self.call_panel.answer_requested.connect(lambda cid: self.submit(Answer(cid)))
        self.call_panel.decline_requested.connect(lambda cid: self.submit(Decline(cid)))
        self.call_panel.hang_up_requested.connect(lambda cid: self.submit(HangUp(cid)))
        self.call_panel.hold_requested.connect(lambda cid, on: self.submit(Hold(cid, on)))
        self.call_panel.mute_requested.connect(lambda cid, on: self.submit(Mute(cid, on)))
        self.call_panel.dtmf_requested.connect(lambda cid, d: self.submit(SendDtmf(cid, d)))
        self.switcher.command_requested.connect(self.submit)
        self.call_panel.devices.device_chosen.connect(
            lambda kind, name: self.submit(SwitchAudioDevice(kind, name))
        )
        self.dispatcher.devices_listed.connect(self.call_panel.devices.set_devices)
        self.dispatcher.audio_problem.connect(self._audio_problem)
        self.dispatcher.call_updated.connect(self._call_updated)
        self.dispatcher.incoming_call.connect(self._incoming_call)
        self.dispatcher.status_changed.connect(self.statusBar().showMessage)
        self.dispatcher.error_reported.connect(self._error_reported)
        self.dispatcher.registration_changed.connect(self.tray.set_registration)
        self.dispatcher.levels_changed.connect(self.call_panel.show_levels)
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
        self.submit(PlaceCall(uri))

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

    # -- calls -------------------------------------------------------------------------------

    def _call_updated(self, call: CallInfo) -> None:
        self.idle.hide()
        self.switcher.show_calls(self.calls.active_calls())
        if not keeps_focus(self.call_panel.call, call):
            self.call_panel.show_call(call)
        self.tray.set_call(call.caller if call.active else "", call.state_words())
        self.alex_panel.show_call(call.call_id if call.active else "", call.remote)
        if call.state is CallState.RINGING and call.direction is Direction.OUT:
            self.ringer.start("ringback")
        elif call.state is not CallState.RINGING or not call.active:
            self.ringer.stop()
        dialog = self.incoming_dialogs.get(call.call_id)
        if dialog is not None and call.state is not CallState.RINGING:
            del self.incoming_dialogs[call.call_id]
            dialog.caller_gave_up()
        if not call.active:
            self.idle_text.setText(f"Last call: {call.caller} — {call.state_words()}")

    def _incoming_call(self, call: CallInfo) -> None:
        if self.tray.do_not_disturb:  # RFC 3261 §21.4.7: 486 Busy Here, without ringing
            self.submit(Decline(call.call_id, busy=True))
            self.tray.notify("Call declined (do not disturb)", call.caller)
            return
        others = [c for c in self.calls.active_calls() if c.call_id != call.call_id]
        waiting = any(c.state in (CallState.CONFIRMED, CallState.HELD) for c in others)
        dialog = IncomingDialog(call, self, waiting)  # waiting: the engine beeps, no ringtone
        dialog.answered.connect(lambda cid: self.submit(Answer(cid)))
        dialog.answered_ending.connect(lambda cid: self.submit(Answer(cid, OtherCalls.END)))
        dialog.declined.connect(lambda cid: self.submit(Decline(cid)))
        dialog.finished.connect(lambda _r, cid=call.call_id: self.incoming_dialogs.pop(cid, None))
        dialog.finished.connect(self.ringer.stop)
        self.incoming_dialogs[call.call_id] = dialog
        if not waiting:
            self.ringer.start("ringtone")
        self.tray.notify_incoming(call.caller, call.remote)
        dialog.show()
        dialog.raise_()

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

    def _contact_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            contact = self.side_tabs.contact_filter.mapToSource(index)
            self.place_call(self.contacts.contact(contact.row()).uri)

    def _selected_contact_row(self) -> int | None:
        index = self.side_tabs.contact_view.currentIndex()
        return self.side_tabs.contact_filter.mapToSource(index).row() if index.isValid() else None

    def _edit_contact(self, contact: Contact | None, new: bool = False) -> None:
        """Edit ``contact``; add the result when it is None or a ``new`` draft."""
        dialog = ContactDialog(self.context.check, contact, self)
        if dialog.exec() and dialog.result_contact is not None:
            if contact is None or new:
                self.contacts.add(dialog.result_contact)
            else:
                self.contacts.update(dialog.result_contact)
            self._refresh_completions()

    def _edit_selected_contact(self) -> None:
        row = self._selected_contact_row()
        if row is not None:
            self._edit_contact(self.contacts.contact(row))

    def _delete_selected_contact(self) -> None:
        row = self._selected_contact_row()
        if row is not None:
            self.contacts.remove(row)

    def _peer_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.place_call(self.peers.peer(index.row()).uri)

    def _save_peer(self) -> None:
        index = self.side_tabs.peer_view.currentIndex()
        if index.isValid():
            peer = self.peers.peer(index.row())
            self._edit_contact(Contact(peer.name, peer.uri, "Found on the LAN"), new=True)

    def _history_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.place_call(self.history.entry(index.row()).remote)

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
        )
        self.dispatcher.devices_listed.connect(dialog.set_devices)
        self.dispatcher.levels_changed.connect(dialog.show_level)
        dialog.finished.connect(lambda _r: self._settings_closed(dialog))
        self.submit(ListAudioDevices())
        self.settings_dialog = dialog
        if dialog.exec() and dialog.saved_config is not None:
            save_config(self.context.profile, dialog.saved_config)
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
        for dialog in list(self.incoming_dialogs.values()):
            dialog.caller_gave_up()
        self.stop_engine(2000)
        self.tray.hide()
        event.accept()
