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

Moves are folded by ``MoveGuard`` (at most one follow step per second), and a plain call whose
announced address is still one of ours gets nothing: a second uplink coming up leaves the old
one in use (make-before-break: the re-INVITE goes when the old address goes), and a link that
flaps back leaves the peer on the address it was moved to. A network without a default route
is reported once (``network.changed`` ``no_route``) and followed when a route comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
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
        self._routed: bool | None = None  # None until the first report
        self._addresses: frozenset[str] | None = None  # ours after the last report
        self.reinvites = 0  # plain follows sent (restarts are counted by the restart)
        self._restarting: set[str] = set()  # Call-IDs whose move restart is out
        restart.on_outcome = self._restarted

    @property
    def guard(self) -> MoveGuard:
        """The guard that folds flapping moves."""
        return self._driver.core

    def network_changed(self, addresses: list[str], network: str, *, routed: bool) -> None:
        """The monitor reported a move to ``network``; ``routed``: it has a default route."""
        was, self._routed = self._routed, routed
        self._addresses = frozenset(addresses)
        if not routed:
            if was is not False:
                log.info("no default route: calls wait for one")
                self._emit(NetworkChanged(NetworkState.NO_ROUTE, tuple(addresses)))
            return
        if was is False:
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
            self._emit(CallMoved(call.call_id, MoveOutcome.FOLLOWED, address, code))
            return
        log.info("call %s: the peer refused our move: %d %s", call.call_id, code, reason)
        text = f"{reason}; {MAY_DROP}" if reason else MAY_DROP
        self._emit(CallMoved(call.call_id, MoveOutcome.REFUSED, address, code, text))


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
