"""Every running call follows us to a new network (docs/ARCHITECTURE.md "Mobility").

Theory of operation. When the network monitor reports a move, each confirmed call tells its
peer where we are now, whatever the peer speaks:

- the SDP's ``c=`` becomes the address the default route now leaves from (when the call's
  RTP socket is bound to the wildcard: a socket bound to the old address cannot follow);
- a call that runs checks (ALEX, or ICE with an ICE peer) restarts them
  (``alexcall/restart.py``): new credentials in the re-INVITE, an ICE restart for ICE peers;
- any other call (a plain SIP peer, or ``--no-alex``) gets a re-INVITE with the new ``c=``
  and, added when it is sent, a Contact naming the new address (a target refresh,
  RFC 3261 §12.2.1.1). A re-INVITE that meets 491 is retried by the INVITE session (§14.1);
  one that cannot go yet (another offer of ours is out) goes a second later; a peer that
  refuses it keeps the old session, and ``call.moved`` says the call may drop.

A follow that nobody answered (its transaction timed out, or could not be sent: RFC 3261
§8.1.3.1) says more about the new network than about the peer: a captive portal or a firewall
that drops UDP and TCP. ``call.moved`` says ``unanswered`` and the follow goes again a moment
later, up to ``UNANSWERED_TRIES`` times, so the call comes back when the network lets it
through; only then is the user told the call may drop.

Moves are folded by ``MoveGuard`` (at most one follow step per second), and a plain call whose
announced address is still one of ours gets nothing: a second uplink coming up leaves the old
one in use (make-before-break: the re-INVITE goes when the old address goes), and a link that
flaps back leaves the peer on the address it was moved to. A network without a default route
is reported once (``network.changed`` ``no_route``) and followed when a route comes back; so
is one whose default routes are all in a family we do not listen on (``other_family``: an
IPv6-only network for a phone on IPv4, where our signaling and media cannot go).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Protocol

from alexphone.engine.alexcall.restart import RestartingCall, RestartSignaling
from alexphone.engine.events import CallMoved, Event, MoveOutcome, NetworkChanged, NetworkState
from alexphone.engine.move_guard import MoveGuard
from alexphone.net.core_driver import CoreDriver, Scheduler
from alexphone.sip.dialog import Dialog
from alexphone.sip.message import Request, Response

log = logging.getLogger(__name__)
OFFER_RETRY = 1.0  # seconds: a follow waits for our other offer's answer (e.g. a hold)
RESTART_RETRY = 0.25  # seconds: a move during a restart restarts again after it
WILDCARDS = ("0.0.0.0", "::", "")
MAY_DROP = "the peer kept the old session: the call may drop"
NO_ANSWER = (408, 503)  # the follow timed out, or could not be sent (RFC 3261 §8.1.3.1)
UNANSWERED_RETRY = 2.0  # seconds: then an unanswered follow goes again (each try waits Timer B)
UNANSWERED_TRIES = 10  # unanswered follows before the user is told the call may drop
UNANSWERED = "no answer through the new network (a captive portal or a firewall?): trying again"


class MediaPort(Protocol):
    """Where a call's RTP socket is bound."""

    @property
    def host(self) -> str:
        """The bound address (a wildcard follows the default route)."""
        ...


class FollowingCall(RestartingCall, Protocol):
    """What following a move needs of a call (engine/call.py's ``Call``)."""

    @property
    def port(self) -> MediaPort:
        """The call's RTP port pair."""
        ...


class Restarter(Protocol):
    """The ALEX restart (``ChecksRestart``) as seen from here."""

    on_outcome: Callable[[str, int, str], None] | None  # (Call-ID, status, reason)

    def restart(self, call: RestartingCall, why: str, *, keep_gathered: bool = True) -> bool:
        """Restart the call's checks with a re-INVITE; False if the call runs none now."""
        ...


class MoveFollow:
    """Sends each running call's peer our new address after a move."""

    def __init__(
        self,
        signaling: RestartSignaling,
        calls: Mapping[str, FollowingCall],
        restart: Restarter,
        local_address: Callable[[], str],
        emit: Callable[[Event], None],
        *,
        loop: Scheduler | None = None,
        guard: MoveGuard | None = None,
    ) -> None:
        self._signaling = signaling
        self._calls = calls
        self._restart = restart
        self._local_address = local_address  # where the default route leaves from now
        self._emit = emit
        self._loop: Scheduler = loop if loop is not None else asyncio.get_running_loop()
        self._driver = CoreDriver(guard or MoveGuard(), self._flush, loop=self._loop)
        self._state: NetworkState | None = None  # None until the first report
        self._addresses: frozenset[str] | None = None  # ours after the last report
        self.reinvites = 0  # plain follows sent (restarts are counted by the restart)
        self._restarting: set[str] = set()  # Call-IDs whose move restart is out
        self._unanswered: dict[str, int] = {}  # Call-ID -> follows in a row nobody answered
        restart.on_outcome = self._restarted

    @property
    def guard(self) -> MoveGuard:
        """The guard that folds flapping moves."""
        return self._driver.core

    def network_changed(self, addresses: list[str], network: str, state: NetworkState) -> None:
        """The monitor reported a move to ``network`` (``state``: can it carry our calls)."""
        was, self._state = self._state, state
        self._addresses = frozenset(addresses)
        if state is not NetworkState.CONNECTED:
            if was is not state:
                log.info("network %s: calls wait for a usable route", state.value)
                self._emit(NetworkChanged(state, tuple(addresses)))
            return
        if was is not None and was is not NetworkState.CONNECTED:
            self._emit(NetworkChanged(NetworkState.CONNECTED, tuple(addresses)))
        self.guard.moved(network, self._driver.now())
        self._driver.transmit()

    def close(self) -> None:
        """Stop the guard's timer."""
        self._driver.close()

    def _flush(self, now: float) -> None:
        while self.guard.next_follow() is not None:
            moved = [self.follow(call) for call in list(self._calls.values())]
            if not any(moved):
                self.guard.idle(now)  # nobody lost the address its peer sends to

    def follow(self, call: FollowingCall) -> bool:
        """Tell ``call``'s peer our current address (restart its checks, or re-INVITE);
        True if the address its peer sent to is gone, so the peer had to be told."""
        if not call.is_confirmed or call.dialog is None:
            return False
        address = self._local_address() if call.port.host in WILDCARDS else call.port.host
        moved = address != call.sdp.local.address and not self._still_ours(call)
        if moved:
            call.sdp.update_local(replace(call.sdp.local, address=address))
            self._unanswered.pop(call.call_id, None)  # a new move: its own tries
        # a call that runs checks restarts on every move: a new uplink is checked before
        # the old one goes (make-before-break)
        if self._restart.restart(call, "local addresses changed", keep_gathered=False):
            self._restarting.add(call.call_id)
            self._emit(CallMoved(call.call_id, MoveOutcome.OFFERED, address))
        elif call.alex is not None and call.alex.active:
            if moved:  # a restart is still under way: restart again once it is settled
                self._later(RESTART_RETRY, call, self.follow)
        elif moved:
            self._reoffer(call)
        return moved

    def _later(
        self, delay: float, call: FollowingCall, step: Callable[[FollowingCall], object]
    ) -> None:
        def run() -> None:
            if self._calls.get(call.call_id) is call and call.is_confirmed:
                step(call)

        self._loop.call_at(self._loop.time() + delay, run)

    def _still_ours(self, call: FollowingCall) -> bool:
        """Tell whether the address the peer sends to is still one of ours (a second uplink
        came, or the first came back after a flap): the socket on the wildcard receives there,
        so a plain peer needs no re-INVITE."""
        return self._addresses is not None and call.sdp.local.address in self._addresses

    def _reoffer(self, call: FollowingCall) -> None:
        def build(dialog: Dialog) -> Request:
            reinvite = self._signaling.prepare_in_dialog(dialog, "INVITE")
            call.attach_sdp(reinvite, call.sdp.create_offer())  # Contact comes when sent
            return reinvite

        if not call.reoffer(build, lambda reinvite: _FollowOutcome(self, call), replace=False):
            self._later(OFFER_RETRY, call, self._reoffer)
            return
        self.reinvites += 1
        log.info("call %s: re-INVITE to follow us to %s", call.call_id, call.sdp.local.address)
        self._emit(CallMoved(call.call_id, MoveOutcome.OFFERED, call.sdp.local.address))

    def _retry(self, call: FollowingCall) -> None:
        """Tell the peer our address again after a follow nobody answered."""
        if call.call_id not in self._unanswered:
            return  # answered meanwhile, or a newer move took over
        if self._restart.restart(call, "no answer after a move", keep_gathered=False):
            self._restarting.add(call.call_id)
            self._emit(CallMoved(call.call_id, MoveOutcome.OFFERED, call.sdp.local.address))
        else:
            self._reoffer(call)

    def _restarted(self, call_id: str, code: int, reason: str) -> None:
        """A restart re-INVITE has its outcome: report it if a move started it."""
        call = self._calls.get(call_id)
        if call_id in self._restarting and call is not None:
            self.outcome(call, code, reason)
        self._restarting.discard(call_id)

    def outcome(self, call: FollowingCall, code: int, reason: str) -> None:
        """The follow re-INVITE of ``call`` ended with ``code``."""
        address = call.sdp.local.address
        if 200 <= code < 300:
            self._unanswered.pop(call.call_id, None)
            self._emit(CallMoved(call.call_id, MoveOutcome.FOLLOWED, address, code))
            return
        if code in NO_ANSWER:
            tries = self._unanswered[call.call_id] = self._unanswered.get(call.call_id, 0) + 1
            if tries < UNANSWERED_TRIES:
                log.info("call %s: no answer to our move (%d): trying again", call.call_id, code)
                self._emit(
                    CallMoved(call.call_id, MoveOutcome.UNANSWERED, address, code, UNANSWERED)
                )
                self._later(UNANSWERED_RETRY, call, self._retry)
                return
            self._unanswered.pop(call.call_id, None)
        log.info("call %s: the peer refused our move: %d %s", call.call_id, code, reason)
        text = f"{reason}; {MAY_DROP}" if reason else MAY_DROP
        self._emit(CallMoved(call.call_id, MoveOutcome.REFUSED, address, code, text))


def network_state(
    routed: Iterable[socket.AddressFamily], listening: Iterable[socket.AddressFamily]
) -> NetworkState:
    """Whether a network whose default routes are in the ``routed`` families can carry calls
    of a phone listening in the ``listening`` families."""
    routed = frozenset(routed)
    if not routed:
        return NetworkState.NO_ROUTE
    if routed.isdisjoint(listening):
        return NetworkState.OTHER_FAMILY
    return NetworkState.CONNECTED


class _FollowOutcome:
    """The follow re-INVITE's outcome: the call applies it, the user hears of it."""

    def __init__(self, follow: MoveFollow, call: FollowingCall) -> None:
        self.follow, self.call = follow, call

    def on_response(self, response: Response) -> None:
        self.call.on_reinvite_response(response)  # a 491 is retried by the session (§14.1)
        if response.status >= 200 and response.status != 491:
            self.follow.outcome(self.call, response.status, response.reason)

    def on_failure(self, status: int, reason: str) -> None:
        self.call.on_reinvite_failure(status, reason, fatal=False)  # the call goes on
        self.follow.outcome(self.call, status, reason)
