"""How a trial registration's first final event reads to a user."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest
from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.account_trial import trial_outcome, trial_timeout
from alexphone.engine.commands import TryAccount
from alexphone.engine.events import (
    AccountTried,
    RegistrationChanged,
    RegistrationState,
    TrialOutcome,
)
from alexphone.engine.settings import sip_uri_option
from alexphone.sip.timer_config import TimerConfig

AOR = "sip:alice@example.com"
REGISTERED = RegistrationState.REGISTERED
FAILED = RegistrationState.FAILED


@pytest.mark.parametrize(
    ("state", "code", "resolved", "outcome"),
    [
        (REGISTERED, 200, True, TrialOutcome.REGISTERED),
        (FAILED, 401, True, TrialOutcome.WRONG_PASSWORD),
        (FAILED, 407, True, TrialOutcome.WRONG_PASSWORD),
        (FAILED, 403, True, TrialOutcome.WRONG_PASSWORD),
        (FAILED, 503, False, TrialOutcome.NO_SERVER),  # the registrar's name found nothing
        (FAILED, 503, True, TrialOutcome.REFUSED),  # the server itself said 503
        (FAILED, 408, True, TrialOutcome.NO_ANSWER),
        (FAILED, 404, True, TrialOutcome.REFUSED),
    ],
)
def test_outcomes_in_plain_words(
    state: RegistrationState, code: int, resolved: bool, outcome: TrialOutcome
) -> None:
    event = RegistrationChanged(AOR, state, code, "", None)

    assert trial_outcome(event, resolved) is outcome


def test_no_final_event_within_the_trial_is_no_answer() -> None:
    assert trial_outcome(None, True) is TrialOutcome.NO_ANSWER


def test_a_silent_registrar_is_no_answer_after_timer_f_of_the_phones_t1(tmp_path: Path) -> None:
    timers = TimerConfig(t1=0.01)  # Timer F = 0.64 s instead of 32 s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, so no ICMP refusal: only Timer F can end it
        proxy = sip_uri_option(f"sip:127.0.0.1:{silent.getsockname()[1]}", "proxy")

        async def main() -> AccountTried:
            settings = settings_for(tmp_path, proxy=proxy, sip_timers=timers)
            phone = await RunningPhone(settings).start()
            try:
                phone.execute(TryAccount(AOR, "pw"))
                return await phone.log.wait_for(AccountTried, timeout=trial_timeout(timers))
            finally:
                await phone.stop()

        tried = run(main())
        silent.setblocking(False)
        registers = 0
        with contextlib.suppress(BlockingIOError):
            while silent.recv(65536).startswith(b"REGISTER "):
                registers += 1

    assert (tried.outcome, tried.code) == (TrialOutcome.NO_ANSWER, 408)
    # Timer E retransmitted at T1, 2*T1, 4*T1... (RFC 3261 §17.1.2.2): 7 sends within 64*T1,
    # then the un-REGISTER's first ones
    assert registers >= 3, registers
