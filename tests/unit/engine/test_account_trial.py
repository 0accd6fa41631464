"""How a trial registration's first final event reads to a user."""

from __future__ import annotations

import pytest

from alexphone.engine.account_trial import trial_outcome
from alexphone.engine.events import RegistrationChanged, RegistrationState, TrialOutcome

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
