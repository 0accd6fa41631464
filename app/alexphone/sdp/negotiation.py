"""Offer/answer over a call's life: o= identity, version numbers, hold and unhold (RFC 3264 §8).

One SdpSession belongs to one call. It remembers the origin it writes (session id and
version), our direction wish (sendrecv, or sendonly/inactive while we hold), and the offer
waiting for an answer. The version grows by one each time a body we send differs from the
previous one and stays put when an identical body is sent again (RFC 3264 §8).
"""

from __future__ import annotations

from dataclasses import replace

from alexphone.core.errors import LocalProtocolError
from alexphone.sdp.attribute import Direction
from alexphone.sdp.offer_answer import (
    LocalMedia,
    NegotiatedMedia,
    SdpAnswer,
    apply_answer,
    make_answer,
    make_offer,
)
from alexphone.sdp.session import SessionDescription

__all__ = ["SdpSession"]


class SdpSession:
    """The SDP side of one call: makes offers and answers and tracks the negotiated media."""

    def __init__(self, local: LocalMedia, session_id: int | str, session_version: int = 0) -> None:
        self._local = local
        self._session_id = str(session_id)
        self._version = session_version
        self._last_sent: SessionDescription | None = None
        self._pending_offer: SessionDescription | None = None
        self.remote: SessionDescription | None = None
        self.negotiated: NegotiatedMedia | None = None

    @property
    def local(self) -> LocalMedia:
        """What we offer and answer with, including our direction wish."""
        return self._local

    @property
    def version(self) -> int:
        """The o= session version of the last body sent (or the initial one)."""
        return self._version

    @property
    def offer_pending(self) -> bool:
        """Tell whether an offer we made still waits for its answer."""
        return self._pending_offer is not None

    @property
    def on_hold(self) -> bool:
        """Tell whether we asked to stop receiving (sendonly or inactive wish)."""
        return not self._local.direction.receives

    def update_local(self, local: LocalMedia) -> None:
        """Change address, port or codecs for the next body; the direction wish is kept."""
        self._local = replace(local, direction=self._local.direction)

    def create_offer(self) -> SessionDescription:
        """Return an offer (initial or re-offer) and wait for its answer."""
        if self._pending_offer is not None:
            raise LocalProtocolError("an offer is already waiting for its answer")
        offer = self._stamp(
            make_offer(self._local, session_id=self._session_id, session_version=self._version)
        )
        self._pending_offer = offer
        return offer

    def hold(self, *, inactive: bool = False) -> SessionDescription:
        """Return a re-offer putting the call on hold: a=sendonly, or a=inactive (RFC 6337 §5)."""
        direction = Direction.INACTIVE if inactive else Direction.SENDONLY
        self._local = replace(self._local, direction=direction)
        return self.create_offer()

    def unhold(self) -> SessionDescription:
        """Return a re-offer taking the call off hold: a=sendrecv."""
        self._local = replace(self._local, direction=Direction.SENDRECV)
        return self.create_offer()

    def receive_answer(self, answer: SessionDescription) -> NegotiatedMedia:
        """Apply the answer to our pending offer (RFC 3264 §7) and return the media."""
        if self._pending_offer is None:
            raise LocalProtocolError("an answer arrived but no offer is pending")
        offer, self._pending_offer = self._pending_offer, None
        self.negotiated = apply_answer(offer, answer)
        self.remote = answer
        return self.negotiated

    def receive_early_answer(self, answer: SessionDescription) -> NegotiatedMedia:
        """Apply an answer from a 183 (early media); the offer stays pending for the 2xx.

        RFC 3261 §13.2.1: an answer in an unreliable provisional response is repeated in
        the final one, which ``receive_answer`` then applies as usual.
        """
        if self._pending_offer is None:
            raise LocalProtocolError("an early answer arrived but no offer is pending")
        self.negotiated = apply_answer(self._pending_offer, answer)
        self.remote = answer
        return self.negotiated

    def fall_back_to_savp(self) -> bool:
        """Make the next offer RTP/SAVP with our SDES keys alone, once, if the last one was
        best effort with keys (RTP/AVP with a=crypto): a peer that insists on RTP/SAVP
        refuses that with 488 (baresip's srtp-mand). False: no such offer to fall back to."""
        local = self._local
        best_effort = local.crypto and local.offer_crypto and not local.crypto_required
        if not best_effort or local.dtls_required:
            return False
        self._local = replace(local, crypto_required=True, offer_dtls=False)
        return True

    def cancel_offer(self) -> None:
        """Forget the pending offer (its request failed); the media stays as it was."""
        self._pending_offer = None

    def answer(self, offer: SessionDescription) -> SdpAnswer:
        """Answer an initial offer or a re-offer (hold offers included, RFC 3264 §8.4)."""
        if self._pending_offer is not None:
            # RFC 3261 §14.2: offers crossed; the dialog layer answers 491 Request Pending
            raise LocalProtocolError("an offer arrived while ours waits for an answer")
        result = make_answer(
            offer, self._local, session_id=self._session_id, session_version=self._version
        )
        result = replace(result, sdp=self._stamp(result.sdp))
        self.remote = offer
        self.negotiated = result.media
        if result.media.srtp is not None or result.media.dtls is not None:
            # our re-offers keep the same keying, in the peer's profile
            proto = result.sdp.media[result.index].proto
            protos = (proto, *(p for p in self._local.protos if p != proto))
            if result.media.dtls is not None:  # no a=crypto beside it: its keys would leak
                self._local = replace(self._local, protos=protos, crypto=(), offer_dtls=True)
            else:
                self._local = replace(self._local, protos=protos, offer_crypto=True)
        return result

    def _stamp(self, sdp: SessionDescription) -> SessionDescription:
        """Give ``sdp`` the previous o= line, its version +1 unless the body is unchanged (§8)."""
        previous = self._last_sent
        if previous is not None:
            # RFC 3264 §8: o= stays as it was (address too) except for the version
            sdp = replace(sdp, origin=previous.origin)
            if sdp != previous:
                self._version += 1
                sdp = replace(sdp, origin=replace(previous.origin, session_version=self._version))
        self._last_sent = sdp
        return sdp
