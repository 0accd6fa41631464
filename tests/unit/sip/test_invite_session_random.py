"""Random sequences of our intents, the peer's messages and timers never break the session.

Whatever comes, in any order, an input the table has no row for is refused with
``LocalProtocolError`` or ``RemoteProtocolError`` and changes nothing; any other exception
(a KeyError, an AssertionError in an action) fails. Along the way: the session ends exactly
once, announces it with one ``Ended``, and runs no timer afterwards.
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st
from invite_harness import Harness, feed

from alexphone.core.errors import LocalProtocolError, RemoteProtocolError
from alexphone.sip.invite_events import Ended, SessionInput, SessionRole, SessionState

INPUTS = st.sampled_from(list(SessionInput))


def refused_or_taken() -> contextlib.suppress:
    """Let a clean refusal pass; anything else fails the test."""
    return contextlib.suppress(LocalProtocolError, RemoteProtocolError)


@settings(max_examples=400, deadline=None)
@given(
    role=st.sampled_from(list(SessionRole)),
    seed=st.integers(0, 2**16),
    events=st.lists(INPUTS, max_size=40),
)
def test_any_sequence_only_meets_rows_or_clean_refusals(
    role: SessionRole, seed: int, events: list[SessionInput]
) -> None:
    h = Harness(role, seed)
    for event in events:
        before = h.state
        try:
            feed(h, event)
        except (LocalProtocolError, RemoteProtocolError):
            assert h.state is before  # refused: nothing moved
            assert h.session.next_action() is None
            continue
        if before is SessionState.TERMINATED:
            assert h.state is SessionState.TERMINATED
    ended = [action for action in h.actions if isinstance(action, Ended)]
    assert len(ended) == (1 if h.state is SessionState.TERMINATED else 0)
    if h.state is SessionState.TERMINATED:
        assert h.session.get_timer() is None


@settings(max_examples=200, deadline=None)
@given(role=st.sampled_from(list(SessionRole)), events=st.lists(INPUTS, max_size=40))
def test_hanging_up_then_letting_the_peer_finish_always_ends(
    role: SessionRole, events: list[SessionInput]
) -> None:
    h = Harness(role)
    for event in events:
        with refused_or_taken():
            feed(h, event)
    # the user hangs up, then every outcome a well-behaved peer or the clock can bring
    finish = [
        SessionInput.HANG_UP,
        SessionInput.PLACE,
        SessionInput.OFFER,
        SessionInput.PROVISIONAL,
        SessionInput.FAILURE,
        SessionInput.BYE_DONE,
    ]
    for event in finish:
        with refused_or_taken():
            feed(h, event)
    for _ in range(5):  # Timer C, the wait after CANCEL, the 491 retry: a bounded number
        if not h.fire():
            break
        h.drain()
        with refused_or_taken():
            feed(h, SessionInput.BYE_DONE)
    assert h.state is SessionState.TERMINATED, [type(a).__name__ for a in h.actions]
