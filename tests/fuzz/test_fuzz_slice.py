"""A fixed-seed slice of the fuzz campaign (`make fuzz` runs 10^6 per decoder).

2,000 mutated inputs per decoder: each decoder raises nothing but its ParseError. The
saved inputs that once crashed a decoder (tests/data/fuzz) are replayed too.
"""

from __future__ import annotations

import contextlib

import pytest
from fuzz_run import run_slice
from fuzz_targets import REGRESSIONS, all_targets, regression_vectors

from alexphone.core.errors import ParseError

NAMES = sorted(all_targets())


@pytest.mark.parametrize("name", NAMES)
def test_mutated_inputs_raise_only_parse_error(name: str) -> None:
    outcome = run_slice(name, 2_000, "make-test")

    assert outcome.inputs == 2_000
    assert [reason for _, reason in outcome.crashes] == []
    assert 0 < outcome.rejected < outcome.inputs  # the slice reaches both refusal and success


@pytest.mark.parametrize("name", NAMES)
def test_saved_crashers_are_now_parse_errors_or_decoded(name: str) -> None:
    decode = all_targets()[name].decode
    for path in regression_vectors(name):
        with contextlib.suppress(ParseError):  # anything else fails the test
            decode(path.read_bytes())


def test_every_saved_crasher_names_a_decoder() -> None:
    vectors = [p for name in NAMES for p in regression_vectors(name)]

    assert sorted(REGRESSIONS.glob("*.bin")) == sorted(vectors)
    assert vectors  # the campaign found something once; keep it found
