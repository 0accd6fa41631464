"""DTLS-SRTP between two in-process phones: keys from the handshake, hold keeps them, and a
certificate that does not match its fingerprint ends the call."""

from __future__ import annotations

from pathlib import Path

from phone_pair import PhonePair, run, settings_for

from alexphone.engine.call_dtls import MEDIA_ENCRYPTION_FAILED
from alexphone.engine.commands import Hold, PlaceCall, SendDtmf
from alexphone.engine.events import CallMedia, CallState, DtmfReceived, Encryption, MediaDirection
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.sdp.crypto import MediaEncryption

QUIET = {"audio_in": parse_audio_in("tone:440"), "audio_out": parse_audio_out("null")}


def _keyed(event: CallMedia) -> bool:
    return event.encryption is Encryption.DTLS_SRTP and event.suite is not None


def test_a_dtls_call_gets_keys_keeps_them_on_hold_and_carries_dtmf(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", media_encryption=MediaEncryption.DTLS, **QUIET)
        b = settings_for(tmp_path / "b", user="bob", auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            a_media = await pair.a.log.wait_for(CallMedia, _keyed)
            b_media = await pair.b.log.wait_for(CallMedia, _keyed)
            assert a_media.suite == b_media.suite == "AES_CM_128_HMAC_SHA1_80"
            pair.a.execute(Hold(up.call_id, on=True))
            held = await pair.a.log.wait_for(
                CallMedia, lambda e: e.direction is MediaDirection.SENDONLY
            )
            assert _keyed(held)  # the association outlives the re-INVITE
            pair.a.execute(SendDtmf(up.call_id, "7"))
            digit = await pair.b.log.wait_for(DtmfReceived)
            assert digit.digit == "7"  # decrypted with the handshake's keys

    run(scenario())


def test_a_certificate_that_is_not_the_one_in_the_sdp_ends_the_call(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", media_encryption=MediaEncryption.DTLS, **QUIET)
        b = settings_for(tmp_path / "b", user="bob", auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            media = pair.b.phone.ua.media if pair.b.phone.ua is not None else None
            assert media is not None
            real = media.certificate
            impostor = DtlsCertificate.generate()
            # b writes its real fingerprint in the SDP but shows another certificate
            media.fingerprint = lambda: real.fingerprint  # type: ignore[method-assign]
            media._certificate = impostor
            pair.a.execute(PlaceCall(pair.b.uri()))
            ended = await pair.a.call_state(CallState.ENDED)
            assert ended.reason == MEDIA_ENCRYPTION_FAILED
            assert not any(_keyed(e) for e in pair.a.log.events if isinstance(e, CallMedia))

    run(scenario())
