"""Offer/answer over a call's life: versions, hold and unhold (RFC 3264 §8)."""

from __future__ import annotations

import pytest
from sdp_samples import HOLD_SENDONLY_OFFER, HOLD_ZERO_ADDRESS_OFFER, SIPP_OFFER, crlf

from alexphone.core.errors import LocalProtocolError
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import PCMU
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia, make_answer
from alexphone.sdp.session import SessionDescription, parse

ALICE = LocalMedia("10.0.0.1", 4000, username="alice")
BOB = LocalMedia("10.0.0.2", 5000, username="bob")


def answer_from_bob(offer: SessionDescription, version: int = 1) -> SessionDescription:
    return make_answer(offer, BOB, session_id=77, session_version=version).sdp


def test_initial_offer_and_answer() -> None:
    session = SdpSession(ALICE, session_id=123, session_version=5)
    offer = session.create_offer()
    assert (offer.origin.session_id, offer.origin.session_version) == ("123", 5)
    assert session.offer_pending
    media = session.receive_answer(answer_from_bob(offer))
    assert not session.offer_pending
    assert media.remote == ("10.0.0.2", 5000)
    assert session.negotiated == media
    assert session.remote is not None


def test_identical_reoffer_keeps_the_version() -> None:
    session = SdpSession(ALICE, 123, 5)
    first = session.create_offer()
    session.receive_answer(answer_from_bob(first))
    again = session.create_offer()
    assert again == first
    assert session.version == 5


def test_hold_and_unhold_increment_the_version() -> None:
    session = SdpSession(ALICE, 123, 5)
    session.receive_answer(answer_from_bob(session.create_offer()))

    held = session.hold()
    assert held.origin.session_version == 6
    assert held.origin.session_id == "123"
    assert held.media[0].direction is Direction.SENDONLY
    assert held.connection is not None and held.connection.address == "10.0.0.1"
    assert session.on_hold
    media = session.receive_answer(answer_from_bob(held, 2))
    assert media.direction is Direction.SENDONLY

    inactive = session.hold(inactive=True)
    assert inactive.origin.session_version == 7
    assert inactive.media[0].direction is Direction.INACTIVE
    session.receive_answer(answer_from_bob(inactive, 3))

    resumed = session.unhold()
    assert resumed.origin.session_version == 8
    assert resumed.media[0].direction is Direction.SENDRECV
    assert not session.on_hold
    assert session.receive_answer(answer_from_bob(resumed, 4)).direction is Direction.SENDRECV


def test_answering_reoffers_including_hold() -> None:
    session = SdpSession(BOB, 77, 1)
    first = session.answer(parse(SIPP_OFFER))
    assert first.sdp.origin.session_version == 1
    assert first.media.codec == PCMU

    same = session.answer(parse(SIPP_OFFER))
    assert same.sdp == first.sdp  # nothing changed: same version (RFC 3264 §8)

    held = session.answer(parse(HOLD_SENDONLY_OFFER))
    assert held.sdp.origin.session_version == 2
    assert held.sdp.media[0].direction is Direction.RECVONLY
    assert session.negotiated is not None
    assert session.negotiated.direction is Direction.RECVONLY

    zero = session.answer(parse(HOLD_ZERO_ADDRESS_OFFER))
    assert zero.media.direction is Direction.RECVONLY
    assert zero.media.remote_on_hold_address

    resumed = session.answer(parse(SIPP_OFFER))
    assert resumed.sdp.origin.session_version == 4
    assert resumed.sdp.media[0].direction is Direction.SENDRECV
    assert session.remote == parse(SIPP_OFFER)


def test_our_hold_wish_shapes_the_answer_to_a_peer_reoffer() -> None:
    session = SdpSession(ALICE, 1, 1)
    session.receive_answer(answer_from_bob(session.hold()))
    result = session.answer(parse(SIPP_OFFER))
    assert result.sdp.media[0].direction is Direction.SENDONLY
    peer_hold = session.answer(parse(HOLD_SENDONLY_OFFER))
    assert peer_hold.sdp.media[0].direction is Direction.INACTIVE


def test_update_local_changes_address_and_keeps_the_wish() -> None:
    session = SdpSession(ALICE, 1, 1)
    session.receive_answer(answer_from_bob(session.hold()))
    session.update_local(LocalMedia("10.9.9.9", 6000))
    offer = session.create_offer()
    assert offer.connection is not None and offer.connection.address == "10.9.9.9"
    assert offer.media[0].port == 6000
    assert offer.media[0].direction is Direction.SENDONLY
    assert offer.origin.session_version == 2
    # RFC 3264 §8: the o= line keeps its username and address; only the version moves
    assert (offer.origin.username, offer.origin.address) == ("alice", "10.0.0.1")


def test_misuse_raises_local_protocol_error() -> None:
    session = SdpSession(ALICE, 1)
    with pytest.raises(LocalProtocolError, match="no offer is pending"):
        session.receive_answer(parse(SIPP_OFFER))
    session.create_offer()
    with pytest.raises(LocalProtocolError, match="already waiting"):
        session.create_offer()
    with pytest.raises(LocalProtocolError, match="while ours waits"):
        session.answer(parse(SIPP_OFFER))
    session.cancel_offer()
    assert not session.offer_pending
    assert session.answer(parse(SIPP_OFFER)).media.codec == PCMU


def test_failed_answer_leaves_previous_media() -> None:
    session = SdpSession(ALICE, 1)
    media = session.receive_answer(answer_from_bob(session.create_offer()))
    session.create_offer()
    bad = parse(crlf("v=0", "o=- 1 1 IN IP4 h", "s=-", "c=IN IP4 h", "t=0 0"))
    with pytest.raises(Exception, match="m= lines"):
        session.receive_answer(bad)
    assert session.negotiated == media
    assert not session.offer_pending


def test_an_early_answer_gives_media_and_the_2xx_still_answers_the_offer() -> None:
    session = SdpSession(ALICE, 123, 5)
    offer = session.create_offer()
    early = session.receive_early_answer(answer_from_bob(offer))  # 183 Session Progress
    assert early.remote == ("10.0.0.2", 5000) and session.negotiated == early
    assert session.offer_pending  # the 200 OK repeats the answer (RFC 3261 §13.2.1)
    assert session.receive_answer(answer_from_bob(offer)) == early
    assert not session.offer_pending
    with pytest.raises(LocalProtocolError):
        session.receive_early_answer(answer_from_bob(offer))
