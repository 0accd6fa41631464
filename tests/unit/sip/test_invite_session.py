"""The INVITE session machine (RFC 3261 §13–15) without sockets: messages in, actions out."""

from __future__ import annotations

import pytest
from invite_harness import BOB, CAROL, DAVE, RECIPES, Harness, answer, feed, reach

from alexphone.core.errors import LocalProtocolError, RemoteProtocolError
from alexphone.sip.invite_events import (
    AnswerChallenge,
    AnswerReoffer,
    Confirmed,
    Ended,
    EndFork,
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
    SessionInput,
    SessionRole,
    SessionState,
    SessionTimers,
)
from alexphone.sip.invite_session import InviteSession

I, S = SessionInput, SessionState  # noqa: E741
UAC, UAS = SessionRole.UAC, SessionRole.UAS


def kinds(actions: list[object]) -> list[type]:
    return [type(action) for action in actions]


def up_as_uac() -> Harness:
    h = reach(UAC, (I.PLACE, I.SUCCESS))
    assert h.state is S.CONFIRMED
    h.actions.clear()
    return h


# -- the table itself ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "event"), sorted(InviteSession.TABLE, key=lambda key: (key[0].value, key[1].value))
)
def test_every_row_of_the_table_is_reachable_and_taken(
    state: SessionState, event: SessionInput
) -> None:
    expected = InviteSession.TABLE[(state, event)][0]
    taken = []
    for role, steps in RECIPES[state]:
        h = reach(role, steps)
        assert h.state is state, (role, steps)
        try:
            feed(h, event)
        except (LocalProtocolError, RemoteProtocolError):
            continue  # this recipe's session cannot take it (e.g. the other role)
        taken.append(h.session.last_step == (state, event) and h.state is expected)
    assert any(taken), f"no recipe takes the row {state.name} x {event.name}"


def test_every_state_has_a_recipe_and_every_state_is_in_the_table() -> None:
    assert set(RECIPES) == set(SessionState)
    assert {state for state, _ in InviteSession.TABLE} == set(SessionState)


def test_pairs_without_a_row_raise_the_side_at_fault_and_change_nothing() -> None:
    h = Harness(UAS)
    feed(h, I.OFFER)
    with pytest.raises(LocalProtocolError):
        h.session.reoffer(h.now)  # our misuse: no re-offer before the call is up
    with pytest.raises(LocalProtocolError):
        h.session.place(h.invite, h.now)  # a UAS never places
    h.session.answer(h.now)
    with pytest.raises(LocalProtocolError):
        h.session.answer(h.now)  # twice
    caller = reach(UAC, (I.PLACE,))
    with pytest.raises(RemoteProtocolError):
        caller.peer("BYE")  # the peer's fault: no dialog yet
    assert (h.state, caller.state) == (S.CONFIRMED, S.CALLING)


# -- CANCEL --------------------------------------------------------------------------------
def test_cancel_before_any_provisional_waits_for_one() -> None:
    h = reach(UAC, (I.PLACE,))
    h.session.hang_up(h.now)
    assert h.drain() == []  # §9.1: no CANCEL before a provisional response
    h.respond(100)
    assert h.drain() == []  # 100 Trying does not count here
    h.respond(180)
    assert kinds(h.drain()) == [SendCancel]
    h.respond(487)
    assert h.drain() == [Ended(487, "Request Terminated")]
    assert h.session.get_timer() is None


def test_cancel_after_a_provisional_goes_at_once() -> None:
    h = reach(UAC, (I.PLACE, I.PROVISIONAL))
    assert h.actions[-1] == Ringing(180)
    h.session.hang_up(h.now)
    (cancel,) = h.drain()
    assert isinstance(cancel, SendCancel) and cancel.invite is h.session.invite
    h.respond(487)
    assert h.drain() == [Ended(487, "Request Terminated")]


def test_a_200_crossing_our_cancel_is_acked_and_byed_never_confirmed() -> None:
    h = reach(UAC, (I.PLACE, I.PROVISIONAL, I.HANG_UP))
    h.respond(200)
    actions = h.drain()
    assert kinds(actions) == [SendAck, SendBye]
    assert h.state is S.ENDING and Confirmed not in kinds(h.actions)
    h.session.bye_done(200, "", h.now)
    assert h.drain() == [Ended(None, "Hung up")]


def test_the_callers_cancel_crossing_our_200_changes_nothing() -> None:
    h = reach(UAS, (I.OFFER, I.ANSWER))
    h.session.cancel_received(h.now)
    assert h.drain() == [] and h.state is S.CONFIRMED


def test_the_callers_cancel_before_we_ring_ends_with_487_once_we_would_ring() -> None:
    h = Harness(UAS)
    h.session.cancel_received(h.now)
    assert h.drain() == []
    h.session.offer(h.now)
    assert h.drain() == [
        RespondInvite(487, "Request Terminated"),
        Ended(487, "Request Terminated"),
    ]


def test_the_callers_cancel_while_ringing_answers_the_invite_487() -> None:
    h = reach(UAS, (I.OFFER,))
    assert kinds(h.actions) == [RespondInvite, Ringing]
    h.session.cancel_received(h.now)
    assert h.drain() == [
        RespondInvite(487, "Request Terminated"),
        Ended(487, "Request Terminated"),
    ]


# -- forks, redirects, challenges ----------------------------------------------------------
def test_a_second_fork_2xx_is_acked_and_byed_and_a_retransmission_acked_again() -> None:
    h = up_as_uac()
    assert h.session.dialog is not None and h.session.dialog.id.remote_tag == "b1"
    h.respond(200, "b2")
    (fork,) = h.drain()
    assert isinstance(fork, EndFork) and fork.dialog.id.remote_tag == "b2"
    h.respond(200, "b1")
    (ack,) = h.drain()
    assert isinstance(ack, SendAck) and ack.dialog is h.session.dialog
    assert h.state is S.CONFIRMED and h.session.dialog.id.remote_tag == "b1"


def test_a_3xx_chain_is_followed_to_the_end() -> None:
    h = reach(UAC, (I.PLACE,))
    for status, target in ((302, CAROL), (301, DAVE)):
        h.respond(status, None, target)
        actions = h.drain()
        assert [str(a.target) for a in actions if isinstance(a, SendInvite)] == [target]
        assert kinds(actions) == [ForgetOffer, SendInvite]  # a new offer for the new target
        assert h.session.invite is not None and str(h.session.invite.uri) == target
    h.respond(200)
    assert kinds(h.drain()) == [SendAck, Confirmed] and h.state is S.CONFIRMED


def test_a_3xx_loop_fails_with_the_3xx_instead_of_going_round() -> None:
    h = reach(UAC, (I.PLACE,))
    h.respond(302, None, CAROL)
    h.drain()
    h.respond(302, None, BOB)  # back to the first target
    assert h.drain() == [Ended(302, "Moved Temporarily")]


def test_a_3xx_picks_the_first_contact_not_tried_yet() -> None:
    h = reach(UAC, (I.PLACE,))
    assert h.session.invite is not None
    redirect = answer(h.session.invite, 300, None, BOB)  # BOB: where this INVITE went
    redirect.headers.add("Contact", f"<{CAROL}>")
    h.session.invite_response(redirect, h.now)
    assert [str(a.target) for a in h.drain() if isinstance(a, SendInvite)] == [CAROL]


def test_redirects_stop_at_the_limit() -> None:
    h = Harness(UAC)
    h.session = InviteSession(UAC, h.session.rng, SessionTimers(max_redirects=1))
    feed(h, I.PLACE)
    h.respond(302, None, CAROL)
    h.drain()
    h.respond(302, None, DAVE)
    assert h.drain() == [Ended(302, "Moved Temporarily")]


def test_challenges_are_answered_twice_then_the_third_is_final() -> None:
    h = reach(UAC, (I.PLACE,))
    for _ in range(2):
        h.respond(407, None)
        assert kinds(h.drain()) == [AnswerChallenge]
    h.respond(407, None)
    assert kinds(h.drain()) == [Ended]
    refused = reach(UAC, (I.PLACE, I.CHALLENGE))
    response = refused.actions[-1]
    assert isinstance(response, AnswerChallenge)
    refused.session.challenge_refused(response.response, refused.now)
    assert refused.drain() == [Ended(407, response.response.reason)]


# -- 491 glare -------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "low", "high"), [(UAC, 2.1, 4.0), (UAS, 0.0, 2.0)])
def test_a_491_retries_after_the_delay_of_section_14_1(
    role: SessionRole, low: float, high: float
) -> None:
    delays = set()
    for seed in range(40):
        h = Harness(role, seed)
        for step in (I.PLACE, I.SUCCESS) if role is UAC else (I.OFFER, I.ANSWER):
            feed(h, step)
        h.session.reoffer(h.now)
        assert kinds(h.drain()) == [SendReinvite]
        h.reinvite_response(491)
        assert h.drain() == [ForgetOffer()] and h.state is S.GLARE_WAIT
        deadline = h.session.get_timer()
        assert deadline is not None
        delays.add(round(deadline - h.now, 2))
        h.session.handle_timer(deadline - 0.01)
        assert h.drain() == []
        h.session.handle_timer(deadline)
        assert kinds(h.drain()) == [SendReinvite] and h.state is S.REINVITING
        h.reinvite_response(200)
        assert kinds(h.drain()) == [SendAck, ReofferAnswered] and h.state is S.CONFIRMED
    assert all(low <= delay <= high for delay in delays)
    assert len(delays) > 10  # random, in 10 ms steps


def test_the_peers_reinvite_crossing_ours_gets_491() -> None:
    h = up_as_uac()
    h.session.reoffer(h.now)
    h.drain()
    request = h.peer("INVITE")
    (reply,) = h.drain()
    assert isinstance(reply, Respond) and reply.request is request and reply.status == 491
    assert h.state is S.REINVITING


def test_while_waiting_to_retry_the_peers_reinvite_is_answered_then_ours_goes() -> None:
    h = up_as_uac()
    h.session.reoffer(h.now)
    h.reinvite_response(491)
    h.drain()
    h.peer("INVITE")
    assert kinds(h.drain()) == [AnswerReoffer]
    h.session.reoffer(h.now)  # a newer wish while waiting: still one re-INVITE
    assert h.drain() == []
    assert h.fire()
    assert kinds(h.drain()) == [SendReinvite]


def test_hanging_up_while_waiting_to_retry_stops_the_retry() -> None:
    h = up_as_uac()
    h.session.reoffer(h.now)
    h.reinvite_response(491)
    assert kinds(h.drain()) == [SendReinvite, ForgetOffer]
    h.session.hang_up(h.now)
    assert kinds(h.drain()) == [SendBye]
    assert h.session.get_timer() is None


# -- hold, unhold, re-INVITE failures --------------------------------------------------------
def test_hold_and_unhold_offers_get_answers_applied() -> None:
    h = up_as_uac()
    for _ in ("hold", "unhold"):
        h.session.reoffer(h.now)
        assert kinds(h.drain()) == [SendReinvite] and h.state is S.REINVITING
        h.reinvite_response(200)
        ack, applied = h.drain()
        assert isinstance(ack, SendAck) and isinstance(applied, ReofferAnswered)
        assert ack.response is applied.response and h.state is S.CONFIRMED


def test_the_peers_hold_offer_is_answered_in_the_dialog() -> None:
    h = reach(UAS, (I.OFFER, I.ANSWER))
    h.actions.clear()
    request = h.peer("INVITE")
    (answer,) = h.drain()
    assert isinstance(answer, AnswerReoffer) and answer.request is request
    update = h.peer("UPDATE")
    assert h.drain() == [AnswerReoffer(answer.transaction_id + 1, update)]  # type: ignore[operator]


@pytest.mark.parametrize("status", [488, 500, 503, 603])
def test_a_failed_reinvite_keeps_the_old_session(status: int) -> None:
    h = up_as_uac()
    dialog = h.session.dialog
    h.session.reoffer(h.now)
    h.drain()
    h.reinvite_response(status)
    assert h.drain() == [ForgetOffer()]
    assert h.state is S.CONFIRMED and h.session.dialog is dialog


@pytest.mark.parametrize("status", [408, 481])
def test_a_reinvite_answered_408_or_481_ends_the_dialog(status: int) -> None:
    h = up_as_uac()
    h.session.reoffer(h.now)
    h.drain()
    h.reinvite_response(status)
    assert kinds(h.drain()) == [ForgetOffer, SendBye]
    h.session.bye_done(481, "BYE answered 481", h.now)
    assert h.drain() == [Ended(481, "BYE answered 481")]


def test_a_reinvite_without_response_may_keep_the_session() -> None:
    h = up_as_uac()
    h.session.reoffer(h.now)
    h.session.reoffer_failed(408, "Request Timeout", h.now, fatal=False)
    assert kinds(h.drain()) == [SendReinvite, ForgetOffer] and h.state is S.CONFIRMED


# -- ending ------------------------------------------------------------------------------------
def test_bye_crossing_bye_ends_once() -> None:
    h = up_as_uac()
    h.session.hang_up(h.now)
    assert kinds(h.drain()) == [SendBye]
    h.peer("BYE")
    respond, ended = h.drain()
    assert isinstance(respond, Respond) and respond.status == 200
    assert ended == Ended(None, "Remote hung up")
    h.session.bye_done(481, "BYE answered 481", h.now)  # the peer no longer knew our BYE
    assert h.drain() == [] and h.state is S.TERMINATED


def test_requests_in_a_terminated_dialog_get_481() -> None:
    h = up_as_uac()
    h.session.hang_up(h.now)
    h.session.bye_done(200, "", h.now)
    assert h.drain()[-1] == Ended(None, "Hung up")
    for method in ("INVITE", "BYE", "INFO", "UPDATE"):
        h.peer(method)
        (reply,) = h.drain()
        assert isinstance(reply, Respond) and reply.status == 481
    h.session.hang_up(h.now)
    h.session.abandon(503, "late", h.now)
    assert h.drain() == [] and h.state is S.TERMINATED


def test_requests_after_our_bye_get_481_too() -> None:
    h = up_as_uac()
    h.session.hang_up(h.now)
    h.drain()
    h.peer("INFO")
    assert [a.status for a in h.drain() if isinstance(a, Respond)] == [481]


def test_bye_before_we_answer_gets_200_and_the_invite_487() -> None:
    h = reach(UAS, (I.OFFER,))
    h.actions.clear()
    h.peer("BYE")
    respond, final, ended = h.drain()
    assert isinstance(respond, Respond) and respond.status == 200
    assert final == RespondInvite(487, "Request Terminated")
    assert ended == Ended(None, "Remote hung up")


def test_a_late_2xx_after_we_gave_up_is_acked_and_byed() -> None:
    h = reach(UAC, (I.PLACE, I.FAILURE))
    h.actions.clear()
    h.respond(200, "late")
    assert kinds(h.drain()) == [EndFork]


# -- Timer C and the wait after CANCEL -------------------------------------------------------
def test_timer_c_gives_up_without_a_provisional() -> None:
    h = reach(UAC, (I.PLACE,))
    assert h.session.get_timer() == h.now + SessionTimers().timer_c
    assert h.fire()
    assert h.drain() == [Ended(408, "Request Timeout (no final response, Timer C)")]


def test_timer_c_restarts_on_each_provisional_then_cancels() -> None:
    h = reach(UAC, (I.PLACE,))
    h.now += 100
    h.respond(183)
    assert h.drain() == [Ringing(183)]
    assert h.session.get_timer() == h.now + SessionTimers().timer_c
    assert h.fire()
    assert kinds(h.drain()) == [SendCancel] and h.state is S.CANCELLING
    assert h.session.get_timer() == h.now + SessionTimers().cancel_wait  # 64·T1 (§9.1)
    h.respond(487)
    assert h.drain() == [Ended(408, "Request Timeout (no final response, Timer C)")]


def test_no_final_response_after_cancel_ends_the_call_after_64_t1() -> None:
    h = reach(UAC, (I.PLACE, I.PROVISIONAL, I.HANG_UP))
    h.actions.clear()
    assert h.fire()
    assert h.drain() == [Ended(487, "Request Terminated")]


def test_timers_refuse_nonsense() -> None:
    from alexphone.core.errors import ConfigError

    with pytest.raises(ConfigError):
        SessionTimers(timer_c=60)
    with pytest.raises(LocalProtocolError):
        InviteSession(UAS, Harness(UAC).session.rng)  # a UAS needs its INVITE
