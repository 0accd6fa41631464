"""The INVITE session of one call (RFC 3261 §13–15), for both roles, sans-I/O.

Theory of operation
-------------------
An ``InviteSession`` follows one call from its first INVITE to the end of its dialog, as
the UAC (we called) or the UAS (we were called). It owns the INVITE and the dialog but
never touches a socket, a clock or an SDP body: its driver (the engine's ``Call``) feeds
it what happened and carries out what it asks for.

Inputs are our own intents (``place``, ``offer``, ``answer``, ``reject``, ``hang_up``,
``reoffer``, ``abandon``), the peer's messages (responses to our INVITE, re-INVITE and
BYE; its CANCEL, re-INVITE or UPDATE, BYE and other in-dialog requests) and three timers.
Each input method first classifies its message into one ``SessionInput`` (a 2xx is
SUCCESS, SUCCESS_AGAIN or SUCCESS_FORK by its To tag; a 3xx is REDIRECT only if it names
a target not tried yet, else FAILURE), then looks ``(state, input)`` up in ``TABLE``, the
one place where transitions are written. A row gives the next state and an action; the
action queues ``SessionAction`` items, which the driver drains in order with
``next_action()``. A pair without a row changes nothing and raises: ``LocalProtocolError``
for our own intents and timers (a misuse, e.g. answering a call twice),
``RemoteProtocolError`` for the peer's messages (e.g. BYE in a dialog not yet confirmed).

Timers, named on ``SessionTimers``: Timer C guards an INVITE of ours without a final
response (§16.6 item 11: above 3 minutes, reset by each provisional; on expiry we CANCEL
if a provisional came, else give up); after our CANCEL the final response gets 64·T1
(§9.1, TIMER_CANCEL); a re-INVITE that met 491 goes again after 2.1–4 s if we chose the
Call-ID, 0–2 s otherwise (§14.1, TIMER_GLARE, randomness injected). SDP stays with the
driver (SIP and SDP are independent layers). RFC 4028 session timers are not implemented.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import ClassVar

from alexphone.core.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from alexphone.sip.dialog import Dialog, DialogState
from alexphone.sip.invite_events import (
    LOCAL_INPUTS,
    AnswerChallenge,
    AnswerReoffer,
    Confirmed,
    Ended,
    EndFork,
    Fed,
    ForgetOffer,
    ReofferAnswered,
    Respond,
    RespondInvite,
    Ringing,
    SendAck,
    SendBye,
    SendCancel,
    SendInvite,
    SendReinvite,
    SessionAction,
    SessionInput,
    SessionRole,
    SessionState,
    SessionTimers,
    classify_2xx,
    redirect_target,
    reoffer_input,
    request_input,
    rows,
)
from alexphone.sip.message import Request, Response
from alexphone.sip.transaction import TransactionId

S, I = SessionState, SessionInput  # noqa: E741 - the table reads as states x inputs
Action = Callable[["InviteSession", Fed], None]
Table = Mapping[tuple[SessionState, SessionInput], tuple[SessionState, Action]]
_UP = (S.CONFIRMED, S.REINVITING, S.GLARE_WAIT)  # the session is up
_EARLY_UAC = (S.CALLING, S.PROCEEDING)
_CANCELLED_UAC = (S.CANCEL_WANTED, S.CANCELLING)


class InviteSession:
    """One INVITE session: feed inputs, drain ``next_action()``, keep ``get_timer()``."""

    def __init__(
        self,
        role: SessionRole,
        rng: random.Random,
        timers: SessionTimers | None = None,
        *,
        invite: Request | None = None,
        to_tag: str | None = None,
    ) -> None:
        if role is SessionRole.UAS and (invite is None or to_tag is None):
            raise LocalProtocolError("a UAS session needs the INVITE and our To tag")
        self.role = role
        self.rng = rng
        self.timers = timers if timers is not None else SessionTimers()
        self.invite = invite  # the UAC's latest INVITE, or the INVITE the UAS answers
        self.to_tag = to_tag
        self.dialog: Dialog | None = None
        self.state = SessionState.IDLE
        self.last_step: tuple[SessionState, SessionInput] | None = None
        self._actions: deque[SessionAction] = deque()
        self._deadlines: dict[SessionInput, float] = {}
        self._tried: set[str] = set()  # Request-URIs our INVITEs went to (3xx loops)
        self._redirects_left = self.timers.max_redirects
        self._challenges = 0
        self._end: tuple[int | None, str] = (None, "")  # what a pending BYE/CANCEL ends with

    def next_action(self) -> SessionAction | None:
        """Pop the oldest queued action, None if there is none."""
        return self._actions.popleft() if self._actions else None

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must next be called, None if no timer runs."""
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at ``now``, earliest first."""
        while self._deadlines:
            timer, deadline = min(self._deadlines.items(), key=lambda item: item[1])
            if deadline > now:
                return
            del self._deadlines[timer]
            self._step(timer, Fed(deadline))

    # -- our intents ----------------------------------------------------------------------
    def place(self, invite: Request, now: float) -> None:
        """Send our first INVITE (UAC), or end at once if we hung up meanwhile."""
        self._need(SessionRole.UAC)
        self._step(SessionInput.PLACE, Fed(now, request=invite))

    def use_invite(self, invite: Request) -> None:
        """Record the INVITE the driver sent for ``SendInvite`` or ``AnswerChallenge``."""
        self.invite = invite
        self._tried.add(str(invite.uri))

    def offer(self, now: float) -> None:
        """Ring (UAS): the INVITE is ready for the user; 400 if it cannot make a dialog."""
        self._need(SessionRole.UAS)
        assert self.invite is not None and self.to_tag is not None
        try:
            dialog = Dialog.for_uas(self.invite, self.to_tag)
        except ProtocolError as exc:
            self._step(SessionInput.REJECT, Fed(now, status=400, reason=str(exc)))
            return
        self._step(SessionInput.OFFER, Fed(now, dialog=dialog))

    def answer(self, now: float) -> None:
        """Accept the ringing call with 200 (UAS)."""
        self._need(SessionRole.UAS)
        self._step(SessionInput.ANSWER, Fed(now))

    def reject(self, status: int, reason: str, now: float) -> None:
        """Refuse the INVITE with a final response (UAS): decline, busy, unusable offer."""
        self._need(SessionRole.UAS)
        if not 300 <= status <= 699:
            raise LocalProtocolError(f"cannot reject with status {status}")
        self._step(SessionInput.REJECT, Fed(now, status=status, reason=reason))

    def hang_up(self, now: float, code: int | None = None, reason: str = "") -> None:
        """End the call by whatever the state allows: CANCEL, BYE or a final response."""
        self._step(SessionInput.HANG_UP, Fed(now, status=code, reason=reason))

    def reoffer(self, now: float) -> None:
        """Send a new offer in a re-INVITE (hold, resume, ALEX restart)."""
        self._step(SessionInput.REOFFER, Fed(now))

    def abandon(self, status: int, reason: str, now: float) -> None:
        """End the session here and now, telling the peer nothing (e.g. at shutdown)."""
        self._step(SessionInput.ABANDON, Fed(now, status=status, reason=reason))

    def invite_response(self, response: Response, now: float) -> None:
        """Take a response to our INVITE (§13.2.2), or a 2xx retransmission to a re-INVITE."""
        self._need(SessionRole.UAC)
        if self.invite is None:
            raise LocalProtocolError("a response came but no INVITE was sent")
        status = response.status
        fed = Fed(now, response=response, status=status, reason=response.reason)
        if status == 100:
            return  # only stops retransmissions (§17.1.1.2)
        if status < 200:
            self._step(I.PROVISIONAL, fed)
        elif status < 300:
            self._step(*classify_2xx(self.invite, self.dialog, fed))
        elif (
            status < 400
            and (target := redirect_target(response, self._tried, self._redirects_left)) is not None
        ):
            self._step(I.REDIRECT, replace(fed, target=target))
        elif status in (401, 407) and self._challenges < self.timers.max_challenges:
            self._step(I.CHALLENGE, fed)
        else:
            self._step(I.FAILURE, fed)

    def invite_failed(self, status: int, reason: str, now: float) -> None:
        """Our INVITE's transaction timed out (408) or could not be sent (503)."""
        self._need(SessionRole.UAC)
        self._step(SessionInput.FAILURE, Fed(now, status=status, reason=reason))

    def challenge_refused(self, response: Response, now: float) -> None:
        """We have no credentials for ``AnswerChallenge``: the 401/407 is final."""
        self._step(SessionInput.FAILURE, Fed(now, status=response.status, reason=response.reason))

    def reoffer_response(self, response: Response, now: float) -> None:
        """Take a response to our re-INVITE (§14.1); 1xx change nothing."""
        if self.dialog is None:
            raise LocalProtocolError("no dialog, so no re-INVITE of ours to answer")
        if response.status >= 200:
            fed = Fed(now, response=response, status=response.status, reason=response.reason)
            self._step(reoffer_input(response.status), fed)

    def reoffer_failed(self, status: int, reason: str, now: float, *, fatal: bool = True) -> None:
        """Our re-INVITE got no response: the dialog is gone, or (not ``fatal``) kept."""
        if self.dialog is None:
            raise LocalProtocolError("no dialog, so no re-INVITE of ours to fail")
        event = I.REOFFER_FATAL if fatal else I.REOFFER_REJECTED
        self._step(event, Fed(now, status=status, reason=reason))

    def bye_done(self, status: int, reason: str, now: float) -> None:
        """Our BYE got a final response, or failed (408/503): the dialog is gone (§15.1.1)."""
        self._step(SessionInput.BYE_DONE, Fed(now, status=status, reason=reason))

    def cancel_received(self, now: float) -> None:
        """The caller cancelled our INVITE server transaction (§9.2); 200 to CANCEL is sent."""
        self._need(SessionRole.UAS)
        self._step(SessionInput.CANCEL, Fed(now))

    def request_received(self, transaction_id: TransactionId, request: Request, now: float) -> None:
        """Take an in-dialog request (its CSeq already checked by the dialog, §12.2.2)."""
        fed = Fed(now, request=request, transaction_id=transaction_id)
        self._step(request_input(request.method), fed)

    def _need(self, role: SessionRole) -> None:
        if self.role is not role:
            raise LocalProtocolError(f"only the {role.name} side of a session can do that")

    def _step(self, event: SessionInput, fed: Fed) -> None:
        row = self.TABLE.get((self.state, event))
        if row is None:
            error = LocalProtocolError if event in LOCAL_INPUTS else RemoteProtocolError
            raise error(f"{event.name} is not allowed in {self.state.name}")
        self.last_step = (self.state, event)
        self.state, action = row
        if self.state is SessionState.TERMINATED:
            self._deadlines.clear()
        action(self, fed)

    # -- actions (each row's effect beyond the state change) ---------------------------------
    def _queue(self, *actions: SessionAction) -> None:
        self._actions.extend(actions)

    def _arm(self, timer: SessionInput, delay: float, now: float) -> None:
        self._deadlines[timer] = now + delay

    def _disarm(self, *timers: SessionInput) -> None:
        for timer in timers:
            self._deadlines.pop(timer, None)

    def _nothing(self, fed: Fed) -> None:
        """The state change is the whole effect (or not even that: absorbed)."""

    def _send_first(self, fed: Fed) -> None:
        assert fed.request is not None
        self.use_invite(fed.request)
        self._queue(SendInvite(None))
        self._arm(I.TIMER_C, self.timers.timer_c, fed.now)

    def _end_unsent(self, fed: Fed) -> None:
        assert fed.request is not None
        self.use_invite(fed.request)
        self._queue(Ended(487, "Request Terminated"))

    def _ring(self, fed: Fed) -> None:
        self.dialog = fed.dialog
        self._queue(RespondInvite(180, "Ringing"), Ringing(180))

    def _refuse(self, fed: Fed) -> None:
        status, reason = fed.status or 500, fed.reason
        self._queue(RespondInvite(status, reason), Ended(status, reason))

    def _answer(self, fed: Fed) -> None:
        assert self.dialog is not None
        self.dialog.state = DialogState.CONFIRMED  # our 2xx is out (§12.1.1)
        self._queue(RespondInvite(200, "OK"), Confirmed(None))

    def _provisional(self, fed: Fed) -> None:
        # §16.6 item 11: every provisional response restarts Timer C
        self._arm(I.TIMER_C, self.timers.timer_c, fed.now)
        self._queue(Ringing(fed.status or 180))

    def _cancel(self, fed: Fed) -> None:
        assert self.invite is not None
        self._disarm(I.TIMER_C)
        self._queue(SendCancel(self.invite))
        self._arm(I.TIMER_CANCEL, self.timers.cancel_wait, fed.now)

    def _cancel_late(self, fed: Fed) -> None:
        self._end = (408, "Request Timeout (no final response, Timer C)")
        self._cancel(fed)

    def _give_up(self, fed: Fed) -> None:
        self._queue(Ended(408, "Request Timeout (no final response, Timer C)"))

    def _cancel_unanswered(self, fed: Fed) -> None:
        code, reason = self._end
        self._queue(Ended(code or 487, reason or "Request Terminated"))

    def _accept(self, fed: Fed) -> None:
        assert fed.dialog is not None and fed.response is not None
        self._disarm(I.TIMER_C)
        self.dialog = fed.dialog
        self._queue(SendAck(fed.dialog, fed.response), Confirmed(fed.response))

    def _accept_to_end(self, fed: Fed) -> None:
        # §15: a 2xx that crossed our CANCEL sets up a session all the same: ACK, then BYE
        assert fed.dialog is not None and fed.response is not None
        self._disarm(I.TIMER_C, I.TIMER_CANCEL)
        self.dialog = fed.dialog
        self._queue(SendAck(fed.dialog, fed.response), SendBye(fed.dialog))

    def _end_fork(self, fed: Fed) -> None:
        assert fed.dialog is not None and fed.response is not None
        self._queue(EndFork(fed.dialog, fed.response))

    def _redirect(self, fed: Fed) -> None:
        self._redirects_left -= 1
        self._queue(ForgetOffer(), SendInvite(fed.target))
        self._arm(I.TIMER_C, self.timers.timer_c, fed.now)

    def _challenge(self, fed: Fed) -> None:
        assert fed.response is not None
        self._challenges += 1
        self._queue(AnswerChallenge(fed.response))
        self._arm(I.TIMER_C, self.timers.timer_c, fed.now)

    def _fail(self, fed: Fed) -> None:
        code, reason = self._end
        if code is None:
            code, reason = fed.status, fed.reason
        self._queue(Ended(code, reason))

    def _bye(self, fed: Fed) -> None:
        assert self.dialog is not None
        self._disarm(I.TIMER_GLARE)
        self._end = (fed.status, fed.reason)
        self._queue(SendBye(self.dialog))

    def _reinvite(self, fed: Fed) -> None:
        assert self.dialog is not None
        self._queue(SendReinvite(self.dialog))

    def _reoffer_answered(self, fed: Fed) -> None:
        assert self.dialog is not None and fed.response is not None
        self._queue(SendAck(self.dialog, fed.response), ReofferAnswered(fed.response))

    def _ack(self, fed: Fed) -> None:
        dialog = fed.dialog or self.dialog
        assert dialog is not None and fed.response is not None
        self._queue(SendAck(dialog, fed.response))

    def _glare(self, fed: Fed) -> None:
        self._queue(ForgetOffer())
        owner = self.role is SessionRole.UAC  # §14.1: the UAC chose the Call-ID
        self._arm(I.TIMER_GLARE, self.timers.glare_delay(owner, self.rng), fed.now)

    def _forget_offer(self, fed: Fed) -> None:
        self._queue(ForgetOffer())

    def _reoffer_fatal(self, fed: Fed) -> None:
        assert self.dialog is not None
        self._end = (fed.status, fed.reason)
        self._queue(ForgetOffer(), SendBye(self.dialog))

    def _answer_reoffer(self, fed: Fed) -> None:
        assert fed.transaction_id is not None and fed.request is not None
        self._queue(AnswerReoffer(fed.transaction_id, fed.request))

    def _peer_bye(self, fed: Fed) -> None:
        assert fed.transaction_id is not None and fed.request is not None
        self._queue(Respond(fed.transaction_id, fed.request, 200, "OK"))
        self._queue(Ended(None, "Remote hung up"))

    def _peer_bye_early(self, fed: Fed) -> None:
        # §15.1.2: BYE before our final response; the INVITE still gets one, 487
        assert fed.transaction_id is not None and fed.request is not None
        self._queue(Respond(fed.transaction_id, fed.request, 200, "OK"))
        self._queue(RespondInvite(487, "Request Terminated"), Ended(None, "Remote hung up"))

    def _bye_answered(self, fed: Fed) -> None:
        if fed.status is not None and fed.status >= 300:  # gone all the same (§15.1.1)
            self._queue(Ended(fed.status, fed.reason))
            return
        code, reason = self._end
        self._queue(Ended(code, reason or "Hung up"))

    def _abandon(self, fed: Fed) -> None:
        self._queue(Ended(fed.status, fed.reason))

    TABLE: ClassVar[Table]


def _final(status: int, reason: str) -> Action:
    """An action answering the INVITE with ``status`` and ending there (§9.2, §15.1.2)."""

    def final(session: InviteSession, fed: Fed) -> None:
        session._queue(RespondInvite(status, reason), Ended(status, reason))

    return final


def _reply(status: int, reason: str) -> Action:
    """An action answering the in-dialog request with ``status`` (and nothing else)."""

    def reply(session: InviteSession, fed: Fed) -> None:
        assert fed.transaction_id is not None and fed.request is not None
        session._queue(Respond(fed.transaction_id, fed.request, status, reason))

    return reply


_ALIVE = [state for state in SessionState if state is not S.TERMINATED]
_GONE = (S.ENDING, S.TERMINATED)  # no new requests after our BYE (§15.1.1)
_ANY_2XX_AFTER = (*_UP, S.ENDING, S.TERMINATED)
X = InviteSession

InviteSession.TABLE = {
    # our intents
    (S.IDLE, I.PLACE): (S.CALLING, X._send_first),
    (S.IDLE_CANCELLED, I.PLACE): (S.TERMINATED, X._end_unsent),
    (S.IDLE, I.OFFER): (S.OFFERED, X._ring),
    (S.IDLE_CANCELLED, I.OFFER): (S.TERMINATED, _final(487, "Request Terminated")),
    (S.OFFERED, I.ANSWER): (S.CONFIRMED, X._answer),
    **rows((S.IDLE, S.IDLE_CANCELLED, S.OFFERED), I.REJECT, X._refuse, S.TERMINATED),
    (S.IDLE, I.HANG_UP): (S.IDLE_CANCELLED, X._nothing),
    (S.CALLING, I.HANG_UP): (S.CANCEL_WANTED, X._nothing),
    (S.PROCEEDING, I.HANG_UP): (S.CANCELLING, X._cancel),
    (S.OFFERED, I.HANG_UP): (S.TERMINATED, _final(480, "Temporarily Unavailable")),
    **rows(_UP, I.HANG_UP, X._bye, S.ENDING),
    **rows((S.IDLE_CANCELLED, *_CANCELLED_UAC, *_GONE), I.HANG_UP, X._nothing, None),
    (S.CONFIRMED, I.REOFFER): (S.REINVITING, X._reinvite),
    (S.GLARE_WAIT, I.REOFFER): (S.GLARE_WAIT, X._nothing),  # the timer sends the newest
    **rows(_ALIVE, I.ABANDON, X._abandon, S.TERMINATED),
    (S.TERMINATED, I.ABANDON): (S.TERMINATED, X._nothing),
    # responses to our INVITE (UAC)
    **rows(_EARLY_UAC, I.PROVISIONAL, X._provisional, S.PROCEEDING),
    (S.CANCEL_WANTED, I.PROVISIONAL): (S.CANCELLING, X._cancel),
    **rows((S.CANCELLING, S.TERMINATED), I.PROVISIONAL, X._nothing, None),
    **rows(_EARLY_UAC, I.SUCCESS, X._accept, S.CONFIRMED),
    **rows(_CANCELLED_UAC, I.SUCCESS, X._accept_to_end, S.ENDING),
    (S.TERMINATED, I.SUCCESS): (S.TERMINATED, X._end_fork),  # after Timer C gave up
    **rows(_ANY_2XX_AFTER, I.SUCCESS_AGAIN, X._ack, None),
    **rows(_ANY_2XX_AFTER, I.SUCCESS_FORK, X._end_fork, None),
    **rows(_EARLY_UAC, I.REDIRECT, X._redirect, S.CALLING),
    **rows(_EARLY_UAC, I.CHALLENGE, X._challenge, S.CALLING),
    **rows((*_EARLY_UAC, *_CANCELLED_UAC), I.FAILURE, X._fail, S.TERMINATED),
    **rows(_CANCELLED_UAC, I.REDIRECT, X._fail, S.TERMINATED),
    **rows(_CANCELLED_UAC, I.CHALLENGE, X._fail, S.TERMINATED),
    **rows((S.TERMINATED,), I.REDIRECT, X._nothing, None),
    **rows((S.TERMINATED,), I.CHALLENGE, X._nothing, None),
    **rows((S.TERMINATED,), I.FAILURE, X._nothing, None),
    # the caller's CANCEL (UAS)
    (S.IDLE, I.CANCEL): (S.IDLE_CANCELLED, X._nothing),
    (S.OFFERED, I.CANCEL): (S.TERMINATED, _final(487, "Request Terminated")),
    **rows((S.IDLE_CANCELLED, *_UP, *_GONE), I.CANCEL, X._nothing, None),  # crossed our 200
    # the peer's in-dialog requests
    **rows((S.CONFIRMED, S.GLARE_WAIT), I.PEER_REOFFER, X._answer_reoffer, None),
    (S.REINVITING, I.PEER_REOFFER): (S.REINVITING, _reply(491, "Request Pending")),  # §14.2
    (S.OFFERED, I.PEER_REOFFER): (S.OFFERED, _reply(500, "Server Internal Error")),  # §14.2
    **rows((*_UP, S.ENDING), I.PEER_BYE, X._peer_bye, S.TERMINATED),  # BYE crossing BYE
    (S.OFFERED, I.PEER_BYE): (S.TERMINATED, X._peer_bye_early),
    **rows((S.OFFERED, *_UP), I.PEER_REQUEST, _reply(200, "OK"), None),
    **{
        (state, event): (state, _reply(481, "Call/Transaction Does Not Exist"))
        for state in _GONE
        for event in (I.PEER_REOFFER, I.PEER_REQUEST)
    },
    (S.TERMINATED, I.PEER_BYE): (S.TERMINATED, _reply(481, "Call/Transaction Does Not Exist")),
    # outcomes of our re-INVITE and BYE
    (S.REINVITING, I.REOFFER_ACCEPTED): (S.CONFIRMED, X._reoffer_answered),
    (S.REINVITING, I.REOFFER_GLARE): (S.GLARE_WAIT, X._glare),
    (S.REINVITING, I.REOFFER_REJECTED): (S.CONFIRMED, X._forget_offer),  # old session stays
    (S.REINVITING, I.REOFFER_FATAL): (S.ENDING, X._reoffer_fatal),
    **rows(_GONE, I.REOFFER_ACCEPTED, X._ack, None),
    **{
        (state, event): (state, X._forget_offer)
        for state in _GONE
        for event in (I.REOFFER_GLARE, I.REOFFER_REJECTED, I.REOFFER_FATAL)
    },
    (S.ENDING, I.BYE_DONE): (S.TERMINATED, X._bye_answered),
    (S.TERMINATED, I.BYE_DONE): (S.TERMINATED, X._nothing),
    # timers
    (S.CALLING, I.TIMER_C): (S.TERMINATED, X._give_up),
    (S.CANCEL_WANTED, I.TIMER_C): (S.TERMINATED, X._give_up),
    (S.PROCEEDING, I.TIMER_C): (S.CANCELLING, X._cancel_late),
    (S.CANCELLING, I.TIMER_CANCEL): (S.TERMINATED, X._cancel_unanswered),
    (S.GLARE_WAIT, I.TIMER_GLARE): (S.REINVITING, X._reinvite),
}
