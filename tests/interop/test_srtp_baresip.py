"""SRTP with SDES keys against baresip's `srtp` module (`mediaenc=srtp-mand`), both ways.

baresip insists on RTP/SAVP; the daemon answers it under the default policy
(`--media-encryption optional`) and, as caller, offers RTP/SAVP with `mandatory`. Speech is
scored with PESQ against the same threshold as the cleartext PCMU rows
(test_media_baresip.py). That the payload on the wire is not cleartext is checked without
tcpdump: a raw UDP socket in baresip's namespace sees every datagram the daemon sends it;
the daemon sends digital silence, whose cleartext PCMU payload is 160 bytes of 0xFF.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Baresip, baresip_account
from media_tools import active_seconds, pesq_score, read_wav, silence_wav, speech_wav
from test_media_baresip import MIN_PESQ_NB_PCMU

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # the sentence is played in real time
    pytest.mark.needs("baresip", "espeak-ng", "sox"),
]

TAG_BYTES = {"AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4, "AEAD_AES_128_GCM": 16}
# baresip (libre) sends a cleartext RTCP APP packet ("PING"/"PONG", a NAT hole punch) as a
# call starts, also under srtp-mand: it fails authentication and is dropped, as it must be.
# Usually one; two were counted once (the TLS row, after the RTP/SAVP retry), never more.
PEER_CLEARTEXT_RTCP = 2
MAX_CAPTURED = 2000  # datagrams the wire watcher keeps (bounds its loop)


def srtp_baresip(lab: Lab, host: Host, source: Path, answer: bool) -> Baresip:
    """baresip on host:5060, PCMU only, refusing anything but SRTP."""
    account = baresip_account(
        "bob", domain=f"{host.ipv4}:5060", codecs="PCMU",
        answermode="auto" if answer else "manual",
    ) + ";mediaenc=srtp-mand"  # fmt: skip
    return Baresip(lab, host.ns, account, listen=f"{host.ipv4}:5060",
                   audio_source=f"aufile,{source}", extra_modules=("srtp",)).start()  # fmt: skip


class WireWatch:
    """Every UDP payload arriving in a namespace from one address, via a raw socket."""

    def __init__(self, lab: Lab, ns: str, source_ip: str) -> None:
        self.sock = lab.socket(ns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
        self.sock.settimeout(0.2)
        self.source_ip = source_ip
        self.payloads: list[tuple[int, bytes]] = []  # (source port, UDP payload)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.payloads) < MAX_CAPTURED:
            try:
                packet, (ip, _) = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            header = (packet[0] & 0x0F) * 4  # IPv4 IHL
            if ip == self.source_ip and len(packet) >= header + 8:
                port = struct.unpack("!H", packet[header : header + 2])[0]
                self.payloads.append((port, packet[header + 8 :]))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def rtp_from(self, port: int) -> list[bytes]:
        """The RTP (not RTCP) datagrams sent from ``port``."""
        return [p for src, p in self.payloads if src == port and len(p) > 12 and p[1] < 192]


def _port(hostport: str) -> int:
    return int(hostport.rsplit(":", 1)[1])


def assert_encrypted_speech(
    wire: WireWatch, media: dict[str, object], got: Path, reference: Path, workdir: Path
) -> float:
    """Check that what we sent was SRTP-sized PCMU with no cleartext silence on the wire and
    that what we recorded is the peer's speech; return the PESQ-NB score of the recording."""
    suite = str(media["suite"])
    sent = wire.rtp_from(_port(str(media["local"])))
    assert len(sent) >= 100, f"{len(sent)} RTP datagrams seen of {len(wire.payloads)}"
    assert {len(p) for p in sent} == {12 + 160 + TAG_BYTES[suite]}
    assert not any(b"\xff" * 32 in p for p in sent)  # cleartext silence would be 160 x 0xFF
    rate_got, samples = read_wav(got)
    assert active_seconds(samples, rate_got) > 2.0  # decrypted speech, not silence or noise
    score = pesq_score(reference, got, "nb", workdir)
    print(f"PESQ-NB baresip→alexphone PCMU over {media['encryption']} ({suite}): {score:.2f}")
    assert score >= MIN_PESQ_NB_PCMU, score
    return score


def test_baresip_srtp_mandatory_calls_the_daemon(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    source = speech_wav(lab.workdir / "speech-8000.wav", 8000, 1)
    got = lab.workdir / "got.wav"
    phone = Alexphone(lab, ours.ns, "daemon", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out=f"file:{got}")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    bob = srtp_baresip(lab, theirs, source, answer=False)
    wire = WireWatch(lab, theirs.ns, ours.ipv4)

    bob.dial(f"sip:alexphone@{ours.ipv4}:5060")
    media = phone.wait_event("call.media", timeout=15)
    time.sleep(read_wav(reference)[1].size / 16000 + 1.0)  # the sentence plays in real time
    bob.hangup()
    stats = phone.wait_event("call.stats", lambda e: e["received"] > 0, timeout=10)
    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    wire.stop()

    assert media["encryption"] == "srtp" and media["suite"] in TAG_BYTES, media
    assert (
        stats["auth_failed"] <= PEER_CLEARTEXT_RTCP and stats["bad"] == 0 and stats["lost"] == 0
    ), stats
    assert_encrypted_speech(wire, media, got, reference, lab.workdir)
    bob.quit()
    phone.stop()


def test_the_daemon_offers_savp_to_a_baresip_that_insists(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    silence = silence_wav(lab.workdir / "silence.wav", 8000, 1)  # aufile ends calls at EOF
    bob = srtp_baresip(lab, theirs, silence, answer=True)
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in=f"file:{reference}", audio_out="null",
                      args=["--media-encryption", "mandatory", "--codecs", "pcmu"])  # fmt: skip
    seconds = read_wav(reference)[1].size / 16000 + 1.0

    code, events = phone.run_call(f"sip:bob@{theirs.ipv4}:5060", duration=seconds, timeout=40)

    assert code == 0, phone.stderr_tail()
    media = [e for e in events if e["event"] == "call.media"][-1]
    assert media["encryption"] == "srtp" and media["suite"] in TAG_BYTES, media
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 50 * (seconds - 0.5), stats
    assert stats["auth_failed"] <= PEER_CLEARTEXT_RTCP, stats
    recordings = sorted(bob.config_dir.glob("dump/*-dec.wav"))
    assert recordings, list(bob.config_dir.glob("dump/*"))
    rate_got, samples = read_wav(recordings[-1])
    assert active_seconds(samples, rate_got) > 2.0
    score = pesq_score(reference, recordings[-1], "nb", lab.workdir)
    print(f"PESQ-NB alexphone→baresip PCMU over SRTP ({media['suite']}): {score:.2f}")
    assert score >= MIN_PESQ_NB_PCMU, score
    bob.quit()


def test_a_mandatory_daemon_refuses_cleartext_baresip_with_488(
    lab: Lab, flat_lan: list[Host]
) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    phone = Alexphone(lab, ours.ns, "daemon", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out="null",
                      args=["--media-encryption", "mandatory"])  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    account = baresip_account("bob", domain=f"{theirs.ipv4}:5060", codecs="PCMU")
    bob = Baresip(lab, theirs.ns, account, listen=f"{theirs.ipv4}:5060").start()
    mark = bob.ctrl.events.mark() if bob.ctrl is not None else 0

    bob.dial(f"sip:alexphone@{ours.ipv4}:5060")
    closed = bob.wait_event("CALL_CLOSED", timeout=15, since=mark)

    assert "488" in str(closed.get("param", "")), closed
    bob.quit()
    phone.stop()
