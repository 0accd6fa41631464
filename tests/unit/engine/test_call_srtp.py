"""SRTP between two real in-process phones: the --media-encryption policy end to end."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from phone_pair import PhonePair, run, settings_for

from alexphone.engine.commands import HangUp, Hold, PlaceCall, SendDtmf
from alexphone.engine.events import (
    CallMedia,
    CallState,
    CallStats,
    DtmfReceived,
    Encryption,
    MediaDirection,
)
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.net.tls import TlsSettings
from alexphone.sdp.crypto import MediaEncryption

QUIET = {"audio_in": parse_audio_in("tone:440"), "audio_out": parse_audio_out("null")}


def test_mandatory_caller_and_optional_callee_talk_srtp_through_hold(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(
            tmp_path / "a", user="alice", media_encryption=MediaEncryption.MANDATORY, **QUIET
        )
        b = settings_for(tmp_path / "b", user="bob", auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            for side in (pair.a, pair.b):
                media = await side.log.wait_for(CallMedia)
                assert media.encryption is Encryption.SRTP
                assert media.suite == "AES_CM_128_HMAC_SHA1_80"
            pair.a.execute(SendDtmf(up.call_id, "7"))  # decoded by B: decrypted and authentic
            b_call = await pair.b.log.wait_for(DtmfReceived, lambda e: e.digit == "7")
            pair.b.execute(SendDtmf(b_call.call_id, "9"))  # and the other way
            await pair.a.log.wait_for(DtmfReceived, lambda e: e.digit == "9")
            pair.a.execute(Hold(up.call_id, on=True))
            held = await pair.b.log.wait_for(
                CallMedia, lambda e: e.direction is MediaDirection.RECVONLY
            )
            assert held.encryption is Encryption.SRTP  # the re-offer kept the keys
            engine = pair.b.phone.ua  # the callee's own counters: what it sent was protected
            assert engine is not None
            (entry,) = engine.media.running.values()
            pair.a.execute(HangUp(up.call_id))
            await pair.b.call_state(CallState.ENDED)
            stats = await pair.b.log.wait_for(CallStats)
            assert stats.received > 0 and stats.auth_failed == 0 and stats.bad == 0
            assert entry.srtp is not None
            assert entry.srtp.counters.protected >= stats.sent > 0  # RTP and RTCP
            assert entry.srtp.counters.unprotected >= stats.received

    run(scenario())


def test_a_mandatory_callee_refuses_a_cleartext_caller_with_488(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", user="alice", **QUIET)  # optional over UDP: no keys
        b = settings_for(
            tmp_path / "b",
            user="bob",
            auto_answer=0.0,
            media_encryption=MediaEncryption.MANDATORY,
            **QUIET,
        )
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            ended = await pair.a.call_state(CallState.ENDED)
            assert ended.code == 488
            assert "encryption is mandatory" in ended.reason

    run(scenario())


def test_optional_over_udp_stays_cleartext(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", user="alice", **QUIET)
        b = settings_for(tmp_path / "b", user="bob", auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            await pair.a.call_state(CallState.CONFIRMED)
            media = await pair.b.log.wait_for(CallMedia)
            assert (media.encryption, media.suite) == (Encryption.NONE, None)

    run(scenario())


def _certificate(folder: Path) -> TlsSettings:
    """A self-signed certificate for 127.0.0.1, presented and trusted by both phones."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder.mkdir()
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return TlsSettings(certificate=cert, private_key=key, ca_file=cert)


def test_optional_over_tls_offers_keys_best_effort_and_gets_srtp(tmp_path: Path) -> None:
    async def scenario() -> None:
        tls = _certificate(tmp_path / "tls")
        listen = "tls:127.0.0.1:0"
        a = settings_for(tmp_path / "a", listen, user="alice", tls=tls, **QUIET)
        b = settings_for(tmp_path / "b", listen, user="bob", auto_answer=0.0, tls=tls, **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))  # ;transport=tls
            up = await pair.a.call_state(CallState.CONFIRMED)
            media = await pair.b.log.wait_for(CallMedia)
            assert (media.encryption, media.suite) == (Encryption.SRTP, "AES_CM_128_HMAC_SHA1_80")
            pair.b.execute(SendDtmf(media.call_id, "3"))
            await pair.a.log.wait_for(DtmfReceived, lambda e: e.digit == "3")
            pair.a.execute(HangUp(up.call_id))
            await pair.b.call_state(CallState.ENDED)

    run(scenario())
