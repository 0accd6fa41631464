"""SIP over TLS to Kamailio: verified registration, and refusal of an unknown certificate."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from lab import Host, Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Kamailio, baresip_account
from media_tools import active_seconds, convert, pesq_score, read_wav, speech_wav
from test_media_baresip import MIN_PESQ_NB_PCMU
from test_srtp_baresip import PEER_CLEARTEXT_RTCP

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio", "openssl")]
ALICE = f"sip:alice@{DOMAIN}"


@pytest.fixture
def tls_kamailio(lab: Lab, nat_net: NatNet) -> Kamailio:
    """Kamailio on the public segment with UDP 5060 and TLS 5061 (self-signed lab.test)."""
    return Kamailio(
        lab, nat_net.pub.ns, [nat_net.pub.ipv4], transports=("udp",), tls_port=5061
    ).start()


def tls_phone(lab: Lab, nat_net: NatNet, kamailio: Kamailio, *trust: str) -> Alexphone:
    phone = Alexphone(lab, nat_net.a1.ns, "tls-alice", listen=[f"udp:{nat_net.a1.ipv4}:5060"])
    password = phone.password_file(USERS["alice"])
    phone.daemon(
        "--account",
        ALICE,
        "--password-file",
        str(password),
        "--proxy",
        f"sip:{nat_net.pub.ipv4}:5061;transport=tls",
        *trust,
    )
    return phone


def test_registers_over_verified_tls(lab: Lab, nat_net: NatNet, tls_kamailio: Kamailio) -> None:
    phone = tls_phone(lab, nat_net, tls_kamailio, "--tls-ca", str(tls_kamailio.certificate))

    event = phone.wait_event(
        "registration.state", lambda e: e["state"] in ("registered", "failed"), timeout=20
    )

    assert (event["state"], event["code"]) == ("registered", 200), event
    tls_kamailio.wait_registered("alice")
    assert "transport=tls" in tls_kamailio.log_text()
    phone.stop()


def test_unknown_certificate_fails_registration_with_503(
    lab: Lab, nat_net: NatNet, tls_kamailio: Kamailio
) -> None:
    phone = tls_phone(lab, nat_net, tls_kamailio)

    event = phone.wait_event("registration.state", lambda e: e["state"] == "failed", timeout=20)

    assert event["code"] == 503
    assert not tls_kamailio.registered("alice")
    phone.stop()


# -- whole calls over TLS with SDES-SRTP, both ways ---------------------------------------
# Kamailio on h3 (UDP 5060, TLS 5061); alice is the daemon on h1, registered over TLS with
# a TLS listener of its own (so the proxy can reach its Contact, transport=tls); bob is
# baresip on h2, registered over TLS with mediaenc=srtp-mand. Both send speech, both record.
def make_certificate(lab: Lab, name: str, ip: str) -> tuple[Path, Path]:
    """A self-signed certificate (CN name, SAN DNS:name and IP:ip) and its key."""
    cert, key = lab.workdir / f"{name}-cert.pem", lab.workdir / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name},IP:{ip}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def lan_kamailio(lab: Lab, flat_lan: list[Host]) -> Kamailio:
    """Kamailio on h3 with UDP 5060 and TLS 5061."""
    h3 = flat_lan[2]
    return Kamailio(lab, h3.ns, [h3.ipv4], transports=("udp",), tls_port=5061).start()


def tls_alice(lab: Lab, host: Host, kamailio: Kamailio, audio_in: str, audio_out: str) -> Alexphone:
    """The daemon as alice@lab.test: TLS listener on 5061, outbound proxy over TLS."""
    cert, key = make_certificate(lab, "alice.lab.test", host.ipv4)
    listen = [f"udp:{host.ipv4}:5060", f"tls:{host.ipv4}:5061"]
    phone = Alexphone(lab, host.ns, "alice", listen=listen, audio_in=audio_in,
                      audio_out=audio_out)  # fmt: skip
    password = phone.password_file(USERS["alice"])
    phone.common += ["--account", ALICE, "--password-file", str(password), "--codecs", "pcmu"]
    phone.common += ["--proxy", f"sip:{kamailio.addresses[0]}:5061;transport=tls"]
    phone.common += ["--tls-ca", str(kamailio.certificate), "--tls-cert", str(cert)]
    phone.common += ["--tls-key", str(key)]
    return phone


def tls_bob(lab: Lab, host: Host, kamailio: Kamailio, source: Path) -> Baresip:
    """baresip as bob@lab.test, registered over TLS, SRTP mandatory, answering at once."""
    outbound = f"sip:{kamailio.addresses[0]}:5061;transport=tls"
    account = baresip_account(
        "bob", password=USERS["bob"], outbound=outbound, regint=60, codecs="PCMU"
    ) + ";mediaenc=srtp-mand"  # fmt: skip
    bob = Baresip(lab, host.ns, account, listen=f"{host.ipv4}:5060",
                  audio_source=f"aufile,{source}", sip_cafile=kamailio.certificate,
                  extra_modules=("srtp",)).start()  # fmt: skip
    kamailio.wait_registered("bob", timeout=30)
    return bob


def speech_sources(lab: Lab) -> tuple[Path, Path, Path]:
    """(16 kHz reference, the same padded with silence at 16 kHz, at 8 kHz for baresip)."""
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    padded = convert(reference, lab.workdir / "speech-padded.wav", 16000, 1, ["pad", "0", "20"])
    narrow = convert(padded, lab.workdir / "speech-8000.wav", 8000, 1)  # aufile ends at EOF
    return reference, padded, narrow


def score(reference: Path, got: Path, lab: Lab, what: str) -> float:
    """PESQ-NB of one direction, after checking it is speech and not silence."""
    rate, samples = read_wav(got)
    assert active_seconds(samples, rate) > 2.0, what
    value = pesq_score(reference, got, "nb", lab.workdir)
    print(f"PESQ-NB {what} PCMU over SRTP, TLS signaling: {value:.2f}")
    return value


def tls_requests(kamailio: Kamailio, method: str) -> list[str]:
    """Kamailio's LAB-REQUEST lines for ``method``."""
    return [s for s in kamailio.events() if s.startswith(f"LAB-REQUEST {method} ")]


def bob_recording(bob: Baresip) -> Path:
    """baresip's recording of what it received (the decoded stream)."""
    recordings = sorted(bob.config_dir.glob("dump/*-dec.wav"))
    assert recordings, list(bob.config_dir.glob("dump/*"))
    return recordings[-1]


@pytest.mark.slow  # the sentence plays in real time
@pytest.mark.needs("baresip", "espeak-ng", "sox")
def test_daemon_calls_srtp_baresip_over_tls(
    lab: Lab, flat_lan: list[Host], lan_kamailio: Kamailio
) -> None:
    reference, padded, narrow = speech_sources(lab)
    bob = tls_bob(lab, flat_lan[1], lan_kamailio, narrow)
    got = lab.workdir / "alice-got.wav"
    alice = tls_alice(lab, flat_lan[0], lan_kamailio, f"file:{padded}", f"file:{got}")
    seconds = read_wav(reference)[1].size / 16000 + 1.5

    # sips: the whole way must be TLS (RFC 3261 §26.2.2). The default policy offers RTP/AVP
    # with a=crypto (over TLS) and a=fingerprint; baresip's srtp-mand takes only RTP/SAVP and
    # refuses that with 488 ("no common codecs"), and the daemon offers RTP/SAVP once more
    code, events = alice.run_call(f"sips:bob@{DOMAIN}", "-v", duration=seconds, timeout=60)

    assert code == 0, alice.stderr_tail()
    assert "488 to our RTP/AVP offer: offering RTP/SAVP" in alice.stderr_tail(10**7)
    states = [e["state"] for e in events if e["event"] == "call.state"]
    assert "confirmed" in states and states[-1] == "ended", states
    media = [e for e in events if e["event"] == "call.media"][-1]
    assert media["encryption"] == "srtp", media
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["received"] > 0 and stats["auth_failed"] <= PEER_CLEARTEXT_RTCP, stats
    invites = tls_requests(lan_kamailio, "INVITE")
    assert invites and all(s.endswith(" tls") for s in invites), invites
    assert score(reference, got, lab, "baresip→alexphone") >= MIN_PESQ_NB_PCMU
    assert score(reference, bob_recording(bob), lab, "alexphone→baresip") >= MIN_PESQ_NB_PCMU
    bob.quit()


@pytest.mark.slow  # the sentence plays in real time
@pytest.mark.needs("baresip", "espeak-ng", "sox")
def test_srtp_baresip_calls_the_daemon_over_tls(
    lab: Lab, flat_lan: list[Host], lan_kamailio: Kamailio
) -> None:
    reference, padded, narrow = speech_sources(lab)
    got = lab.workdir / "alice-got.wav"
    alice = tls_alice(lab, flat_lan[0], lan_kamailio, f"file:{padded}", f"file:{got}")
    alice.daemon("--auto-answer")
    alice.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    lan_kamailio.wait_registered("alice")
    bob = tls_bob(lab, flat_lan[1], lan_kamailio, narrow)
    seconds = read_wav(reference)[1].size / 16000 + 1.5

    bob.dial(ALICE)
    bob.wait_event("CALL_ESTABLISHED", timeout=15)
    alice.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=10)
    media = alice.wait_event("call.media", timeout=10)
    time.sleep(seconds)  # the sentence plays in real time
    bob.hangup()
    stats = alice.wait_event("call.stats", lambda e: e["received"] > 0, timeout=10)
    alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)

    assert media["encryption"] == "srtp", media
    assert stats["auth_failed"] <= PEER_CLEARTEXT_RTCP, stats
    invites = tls_requests(lan_kamailio, "INVITE")
    assert invites and all(s.endswith(" tls") for s in invites), invites
    assert score(reference, got, lab, "baresip→alexphone") >= MIN_PESQ_NB_PCMU
    assert score(reference, bob_recording(bob), lab, "alexphone→baresip") >= MIN_PESQ_NB_PCMU
    bob.quit()
    alice.stop()
