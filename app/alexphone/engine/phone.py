"""The phone: composition root that wires transport, UA core, registration and commands."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import replace

from alexphone.core.errors import ConfigError, LocalProtocolError
from alexphone.core.ids import IdFactory
from alexphone.engine.account_trial import AccountTrials
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import (
    Answer,
    ClearAlexCache,
    Command,
    Decline,
    HangUp,
    Hold,
    ListAudioDevices,
    ListCalls,
    LocateRegistrar,
    Merge,
    Mute,
    OtherCalls,
    PlaceCall,
    PlaySound,
    RecordSound,
    ReportStats,
    Resume,
    SendDtmf,
    Shutdown,
    StopSound,
    Swap,
    SwitchAudioDevice,
    Transfer,
    TryAccount,
)
from alexphone.engine.device_watch import DeviceWatch
from alexphone.engine.dial_target import dial_target, is_telephone_number
from alexphone.engine.events import (
    AlexCacheListed,
    AlexCacheRow,
    CacheOutcome,
    CallChanged,
    CallsListed,
    CallState,
    Direction,
    ErrorReported,
    ErrorSource,
    Event,
    Flow,
    ListenPortTaken,
    NetworkState,
    SipMessageLogged,
    UaReady,
)
from alexphone.engine.history import CallHistory
from alexphone.engine.lan_discovery import LanDiscovery
from alexphone.engine.move_follow import MoveFollow, network_state
from alexphone.engine.registrations import Registrations
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.engine.sip_stack import SipStack
from alexphone.engine.switchboard import Switchboard
from alexphone.engine.transferor import TransferRefused
from alexphone.engine.user_agent import UserAgent
from alexphone.net.flow import ip_family
from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.network_monitor import NetworkMonitor
from alexphone.net.transport import TransportKind
from alexphone.sip.message import Message
from alexphone.sip.redaction import redact_secrets
from alexphone.sip.transaction import TransactionEvent
from alexphone.sip.uri import SipUri
from alexphone.store.alex_cache import AlexCacheStore
from alexphone.store.history import HistoryStore
from alexphone.store.profile_check import open_profile_database

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 3.0
LAN_WAIT = 5.0  # seconds to wait for a named LAN peer to show up


class Phone:
    """Runs one phone on the current event loop until told to shut down."""

    def __init__(
        self, settings: PhoneSettings, emit: Callable[[Event], None], ids: IdFactory | None = None
    ) -> None:
        self.settings = settings
        self._emit = emit
        self.history = CallHistory(None)  # with the profile's store once run() opens it
        self.ids = ids if ids is not None else IdFactory()
        self._stop = asyncio.Event()
        self.ua: UserAgent | None = None
        self.registrations: Registrations | None = None  # one REGISTER driver per account
        self.lan: LanDiscovery | None = None
        self._db: sqlite3.Connection | None = None
        self._trials: AccountTrials | None = None
        self._monitor: NetworkMonitor | None = None
        self.follow: MoveFollow | None = None  # calls follow a move (docs/ARCHITECTURE.md)
        self.board: Switchboard | None = None  # hold, swap, conference among the calls

    async def run(self, on_started: Callable[[PhoneClient], None] | None = None) -> None:
        """Listen, register, obey commands; return after Shutdown and a clean goodbye."""
        loop = asyncio.get_running_loop()
        self._open_database()  # creates the profile directory if it can
        tap = self._log_sip if self.settings.log_sip else None
        stack = SipStack(
            self._on_transaction_event,
            tls=self.settings.tls,
            on_wire=tap,
            timers=self.settings.sip_timers,
        )
        fallback = self.settings.listen_fallback
        bound = await stack.start(self.settings.listen, any_port_if_busy=fallback)
        for wanted, spec in zip(self.settings.listen, bound, strict=True):
            if wanted.port not in (0, spec.port):
                self.emit(ListenPortTaken(str(wanted), str(spec)))
        alex = self._alex_hub(stack) if self.settings.alex else None
        self.ua = UserAgent(self.settings, stack, self.emit, self.ids, alex)
        self.board = Switchboard(self.ua.calls, self.ua.media.shared, self.emit, loop.call_soon)
        self.ua.transferor.holds = self.board  # a transfer holds through the switchboard
        self.ua.answering = lambda call: self._auto_answer(call.call_id)
        trials = self._trials = AccountTrials(self.ua, self.emit, self.ids)
        await self.ua.media.prepare()  # off the loop, before ua.ready invites the first call
        self.emit(UaReady(tuple(str(spec) for spec in bound), str(self.settings.profile)))
        self._list_alex_cache(self.ua, if_empty=False)
        self.lan = LanDiscovery(self.settings, self.emit, on_proxy=self._proxy_found)
        await self.lan.start(bound)
        registrations = Registrations(self.ua, self.settings.accounts, self.emit, self.ids)
        self.registrations = registrations
        self.ua.registered_contacts = registrations.contacts
        await registrations.start()
        self.follow = self._move_follow(self.ua)
        monitor = self._monitor = NetworkMonitor(self._network_changed)
        monitor.start()
        media = self.ua.media
        devices = None
        if self.settings.audio_in.is_device or self.settings.audio_out.is_device:
            devices = DeviceWatch(media.list_devices, lambda: not media.running)
            devices.start()
        if on_started is not None:
            on_started(PhoneClient(loop, self.execute))
        await self._stop.wait()
        await trials.close()
        await monitor.stop()
        self.follow.close()
        if devices is not None:
            await devices.stop()
        await self._goodbye()
        self.ua.media.stop_all()  # streams left by calls that never ended, then PortAudio
        await self.lan.stop()  # DNS-SD goodbyes (RFC 6762 §10.1)
        await stack.close()
        if alex is not None:
            alex.close()
        if self._db is not None:
            self._db.close()

    def emit(self, event: Event) -> None:
        """Hand ``event`` to the face, after the engine's own records (history) took it."""
        self.history.observe(event)
        if self.board is not None:
            self.board.observe(event)
        self._emit(event)

    def _open_database(self) -> None:
        """Open the profile's database: call history and the ALEX cache (both optional)."""
        # a newer or broken file is set aside, an unwritable profile gets one in memory:
        # history and cache are records, calls work without them
        self._db, notice = open_profile_database(self.settings.profile)
        if notice is not None:
            self.emit(ErrorReported(ErrorSource.PROFILE, notice.text))
        self.history = CallHistory(HistoryStore(self._db))

    def _alex_hub(self, stack: SipStack) -> AlexHub:
        """The phone's ALEX state: one probe budget and the profile's ALEX cache."""
        profile = self.settings.profile
        cache = AlexCacheStore(self._db) if self._db is not None else None
        return AlexHub(stack.transport, self.emit, self.ids, profile=profile, cache=cache)

    @staticmethod
    def _move_follow(ua: UserAgent) -> MoveFollow:
        """Calls follow a move: the source address of the default route goes into c=."""

        def local_address() -> str:
            return ua.stack.transport.sent_by(TransportKind.UDP, "192.0.2.1")[0]

        return MoveFollow(ua, ua.calls, ua.restart, local_address, ua.emit)

    def _network_changed(self, addresses: list[InterfaceAddress], fingerprint: str) -> None:
        """Mobility: our addresses moved, so re-register from the new ones and calls follow."""
        state = NetworkState.CONNECTED
        if self._monitor is not None and self.ua is not None:
            listening = (ip_family(spec.host) for spec in self.ua.stack.transport.listeners)
            state = network_state(self._monitor.families, listening)
        usable = state is NetworkState.CONNECTED  # without a route of ours it could not go
        if self.registrations is not None and usable:
            self.registrations.network_changed()
        if self.ua is not None:  # calls follow (docs/ALEX.md "Restart")
            if self.ua.alex is not None:
                self.ua.alex.forget_mappings()  # the REGISTER answer tells the new one
            if self.follow is not None:
                shown = [a.address for a in addresses if not a.is_link_local]
                self.follow.network_changed(shown, fingerprint, state)
        if self.lan is not None:  # another network may offer another outbound proxy
            self.lan.network_changed()

    def _proxy_found(self, proxy: SipUri | None) -> None:
        """With no --proxy, send through the discovered outbound proxy (RFC 3261 §8.1.2)."""
        if self.ua is None or self.settings.proxy is not None:
            return
        self.ua.settings = replace(self.ua.settings, proxy=proxy)
        if self.registrations is not None:  # to the new first hop: unregister, register again
            self.registrations.first_hop_changed()

    def _log_sip(self, direction: Direction, peer: tuple[str, int], message: Message) -> None:
        host = f"[{peer[0]}]" if ":" in peer[0] else peer[0]
        text = bytes(message).decode("utf-8", "replace")
        if not self.settings.show_secrets:
            text = redact_secrets(text)
        self.emit(SipMessageLogged(direction, f"{host}:{peer[1]}", text))

    def _on_transaction_event(self, event: TransactionEvent) -> None:
        if self.ua is not None:
            self.ua.on_transaction_event(event)

    def execute(self, command: Command) -> None:
        """Carry out one command on the engine loop; failures become ``error`` events."""
        ua, board = self.ua, self.board
        if ua is None or board is None:
            return
        match command:
            case PlaceCall(uri=text, account=name):
                board.placing()
                self._place_call(ua, text, name)
            case Decline(call_id=call_id, busy=busy):
                if (call := ua.calls.get(call_id)) is not None:
                    call.decline(busy)
            case HangUp(call_id=call_id):
                if (call := ua.calls.get(call_id)) is not None:
                    call.hang_up()
            case Answer() | Hold() | Resume() | Swap() | Merge():
                self._switch(board, command)
            case Mute(call_id=call_id, on=on):
                ua.media.mute(call_id, on)
            case SendDtmf(call_id=call_id, digits=digits):
                ua.media.send_dtmf(call_id, digits)
            case Transfer():
                self._transfer(ua, command)
            case ListAudioDevices():
                ua.media.list_devices()
            case ClearAlexCache(peer=peer):
                self._clear_alex_cache(ua, peer)
            case ReportStats(call_id=call_id):
                ua.media.report_stats(call_id)
            case ListCalls():
                self.emit(CallsListed(self.history.active()))
            case LocateRegistrar(domain=domain) if self._trials is not None:
                self._trials.locate(domain)
            case TryAccount(aor=aor, password=password) if self._trials is not None:
                self._trials.try_account(aor, password)
            case PlaySound(path=path, device=device, repeat=repeat):
                ua.media.sounds.play(path, device, repeat)
            case RecordSound(path=path, device=device, seconds=seconds):
                ua.media.recorder.record(path, device, seconds)
            case StopSound():
                ua.media.sounds.stop()
                ua.media.recorder.stop()
            case SwitchAudioDevice(kind=kind, device=device):
                ua.media.switch_device(kind, device)
            case Shutdown():
                self._stop.set()

    def _auto_answer(self, call_id: str) -> None:
        """--auto-answer: answer beside the calls that are up, holding none of them.

        An auto-answering phone is a service (an answering point, a test peer, a load
        generator's far end): each caller gets the phone as it is, and a re-INVITE to hold
        the others would surprise peers that only expect their own call.
        """
        if self.board is not None:
            self.board.answer(call_id, OtherCalls.KEEP)

    def _switch(self, board: Switchboard, command: Answer | Hold | Resume | Swap | Merge) -> None:
        """Answer, hold, resume, swap or merge calls; a refusal is one ``error`` event."""
        try:
            match command:
                case Answer(call_id=call_id, others=others):
                    board.answer(call_id, others)
                case Hold(call_id=call_id, on=True):
                    board.hold(call_id)
                case Hold(call_id=call_id) | Resume(call_id=call_id):
                    board.resume(call_id)
                case Swap(call_id=call_id):
                    board.swap(call_id)
                case Merge(call_ids=call_ids):
                    board.merge(call_ids)
        except LocalProtocolError as exc:
            self.emit(ErrorReported(ErrorSource.CALL, str(exc)))

    def _transfer(self, ua: UserAgent, command: Transfer) -> None:
        """REFER a call blind or attended; a transfer that cannot start is one ``error``."""
        call = ua.calls.get(command.call_id)
        try:
            if call is None:
                raise TransferRefused(f"no call {command.call_id!r}")
            if command.consult is None:
                ua.transferor.transfer(call, self._target(command.target))
                return
            consult = ua.calls.get(command.consult)
            if consult is None:
                raise TransferRefused(f"no call {command.consult!r} to consult")
            ua.transferor.transfer(call, None, consult)
        except (ConfigError, TransferRefused) as exc:
            self.emit(ErrorReported(ErrorSource.TRANSFER, str(exc)))

    def _clear_alex_cache(self, ua: UserAgent, peer: str | None) -> None:
        """Forget one peer's cached paths (or all) and announce what the cache still holds."""
        cache = ua.alex.cache if ua.alex is not None else None
        if cache is not None:
            cache.forget(peer) if peer is not None else cache.clear()
        self._list_alex_cache(ua)

    def _list_alex_cache(self, ua: UserAgent, if_empty: bool = True) -> None:
        """Announce the ALEX cache's entries (alex.cache) for the GUI's cache table."""
        cache = ua.alex.cache if ua.alex is not None else None
        entries = cache.entries() if cache is not None else []
        if not entries and not if_empty:
            return
        rows = (
            AlexCacheRow(
                e.key.peer,
                Flow(e.key.flow),
                *(e.key.local, e.key.remote, e.key.network),
                CacheOutcome(e.outcome.value),
                e.updated,
                None if e.rtt is None else round(e.rtt * 1000, 2),
            )
            for e in entries
        )
        self.emit(AlexCacheListed(tuple(rows)))

    def _place_call(self, ua: UserAgent, text: str, name: str | None) -> None:
        try:
            account = self.settings.find_account(name) if name else self.settings.account
        except ConfigError as exc:
            self._call_failed(text, exc)
            return
        try:
            target = self._target(text, account)
        except ConfigError as exc:
            lan = self.lan
            if lan is not None and lan.browsing and not is_telephone_number(text):
                error = exc  # maybe a LAN peer not seen yet
                lan.when_found(text, LAN_WAIT, lambda t: self._found(ua, text, t, error, account))
                return
            self._call_failed(text, exc)
            return
        ua.place_call(target, account=account)

    def _found(
        self,
        ua: UserAgent,
        text: str,
        target: SipUri | None,
        exc: ConfigError,
        account: AccountSettings | None,
    ) -> None:
        if target is None:
            self._call_failed(text, ConfigError(f"{exc} and no LAN peer is called so"))
        else:
            ua.place_call(target, account=account)

    def _call_failed(self, text: str, exc: ConfigError) -> None:
        self.emit(ErrorReported(ErrorSource.CALL, str(exc)))
        self.emit(CallChanged("", Direction.OUT, text, CallState.ENDED, 400, str(exc)))

    def _target(self, text: str, account: AccountSettings | None = None) -> SipUri:
        if self.lan is not None and (peer := self.lan.call_target(text)) is not None:
            return peer
        return dial_target(text, account or self.settings.account)

    async def _goodbye(self) -> None:
        ua = self.ua
        if ua is not None and ua.calls:
            ua.hang_up_all()
            for _ in range(int(SHUTDOWN_GRACE / 0.05)):
                if not ua.calls:
                    break
                await asyncio.sleep(0.05)
            for call in list(ua.calls.values()):  # the peer never finished: end it locally
                call.on_failure(503, "Shut down before the call could end")
        if self.registrations is not None:
            await self.registrations.stop(SHUTDOWN_GRACE)
