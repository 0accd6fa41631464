"""A real phone as the transferee of REFERs sent from a raw UDP socket on loopback."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.events import CallState, CallTransferred, Direction, TransferState
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request, Response
from alexphone.sip.parser import parse

SDP = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
SDP += "m=audio 40000 RTP/AVP 0\r\n"


class Transferor:
    """A raw SIP endpoint: one dialog with the phone, then REFERs in it."""

    def __init__(self, phone: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.phone = phone  # host:port
        self.to = f"<sip:bob@{phone}>"
        self.cseq = 1
        self.call_id = "transfer-1"
        self.from_tag = "a1"

    def send(self, method: str, *extra: str, body: str = "", cseq: int | None = None) -> None:
        lines = [
            f"{method} sip:bob@{self.phone} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bK{method}{self.cseq}",
            f"From: <sip:alice@127.0.0.1:{self.port}>;tag={self.from_tag}",
            f"To: {self.to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq or self.cseq} {method}",
            f"Contact: <sip:alice@127.0.0.1:{self.port}>",
            "Max-Forwards: 70",
            *extra,
            f"Content-Length: {len(body)}",
            "",
            body,
        ]
        host, port = self.phone.split(":")
        self.sock.sendto("\r\n".join(lines).encode(), (host, int(port)))

    async def receive(self, count: int = 20) -> Request | Response:
        """The next message that is not a provisional response (bounded by ``count``)."""
        loop = asyncio.get_running_loop()
        for _ in range(count):
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), 5.0)
            message = parse(data)
            if isinstance(message, Response) and message.status < 200:
                continue
            if isinstance(message, Request):  # answer the phone's NOTIFY at once
                reply = f"SIP/2.0 200 OK\r\n{_echo(data)}Content-Length: 0\r\n\r\n"
                self.sock.sendto(reply.encode(), ("127.0.0.1", int(self.phone.split(":")[1])))
            return message
        raise AssertionError("no final message")

    async def call(self) -> None:
        self.send("INVITE", "Content-Type: application/sdp", body=SDP)
        ok = await self.receive()
        assert isinstance(ok, Response) and ok.status == 200
        self.to = ok.headers.get("To") or ""
        self.send("ACK", cseq=1)


def _echo(data: bytes) -> str:
    keep = ("via", "from", "to", "call-id", "cseq")
    lines = data.decode().split("\r\n")
    return "".join(f"{line}\r\n" for line in lines if line.split(":")[0].lower() in keep)


def test_bad_refer_to_gets_400_and_an_unreachable_target_a_failure_notify(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        bob = await RunningPhone(settings_for(tmp_path / "b", auto_answer=0.0)).start()
        assert bob.listen is not None
        alice = Transferor(f"127.0.0.1:{bob.listen.port}")
        try:
            await alice.call()
            alice.cseq = 2
            alice.send("REFER", "Refer-To: <mailto:carol@example.com>")
            refused = await alice.receive()
            assert isinstance(refused, Response) and refused.status == 400
            alice.cseq = 3  # we listen on no TCP: the INVITE fails at once
            alice.send("REFER", "Refer-To: <sip:carol@127.0.0.1:9;transport=tcp>")
            accepted = await alice.receive()
            assert isinstance(accepted, Response) and accepted.status == 202
            trying, final = await alice.receive(), await alice.receive()
            assert isinstance(trying, Request) and trying.body == b"SIP/2.0 100 Trying\r\n"
            assert isinstance(final, Request) and final.method == "NOTIFY"
            assert final.body.startswith(b"SIP/2.0 503 ")
            assert final.headers.get("Subscription-State") == "terminated;reason=noresource"
            states = [e.state for e in bob.log.events if isinstance(e, CallTransferred)]
            assert states == [
                TransferState.REQUESTED,
                TransferState.TRYING,
                TransferState.FAILED,
            ]
            original = [e for e in bob.log.calls() if e.call_id == "transfer-1"]
            assert original[-1].state is CallState.CONFIRMED  # the call is not lost
        finally:
            alice.sock.close()
            await bob.stop()

    run(scenario())


def test_what_names_no_dialog_of_ours_gets_481_and_other_events_489(tmp_path: Path) -> None:
    async def scenario() -> None:
        bob = await RunningPhone(settings_for(tmp_path / "b", auto_answer=0.0)).start()
        assert bob.listen is not None
        alice = Transferor(f"127.0.0.1:{bob.listen.port}")
        try:
            alice.send("REFER", "Refer-To: <sip:carol@127.0.0.1>")  # outside any dialog
            outside = await alice.receive()
            assert isinstance(outside, Response) and outside.status == 481
            await alice.call()
            bob_tag = NameAddress.parse(alice.to).tag
            assert bob_tag is not None
            alice.cseq = 2
            alice.send("NOTIFY", "Event: presence", "Subscription-State: active")
            other = await alice.receive()
            assert isinstance(other, Response) and other.status == 489
            alice.cseq = 3
            alice.send("NOTIFY", "Event: refer", "Subscription-State: active")
            unasked = await alice.receive()  # we sent no REFER
            assert isinstance(unasked, Response) and unasked.status == 481
            replacing = Transferor(f"127.0.0.1:{bob.listen.port}")
            replacing.call_id, replacing.from_tag = "replacing-1", "r1"
            try:
                for replaces, status in (
                    ("nosuch;to-tag=x;from-tag=y", 481),  # no such dialog
                    (f"transfer-1;to-tag=a1;from-tag={bob_tag}", 481),  # tags swapped
                    (f"transfer-1;to-tag={bob_tag};from-tag=a1;early-only", 486),  # confirmed
                    ("transfer-1;to-tag=", 400),
                ):
                    replacing.cseq += 1
                    replacing.send(
                        "INVITE", f"Replaces: {replaces}", "Content-Type: application/sdp", body=SDP
                    )
                    for _ in range(5):  # skip a retransmitted answer to the last INVITE
                        answer = await replacing.receive()
                        if answer.cseq.seq == replacing.cseq:
                            break
                    assert isinstance(answer, Response) and answer.status == status, replaces
            finally:
                replacing.sock.close()
            original = [e for e in bob.log.calls() if e.call_id == "transfer-1"]
            assert original[-1].state is CallState.CONFIRMED  # none of that touched the call
        finally:
            alice.sock.close()
            await bob.stop()

    run(scenario())


def test_a_flood_of_refers_is_refused_503_with_retry_after_and_the_call_stays(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        bob = await RunningPhone(settings_for(tmp_path / "b", auto_answer=0.0)).start()
        assert bob.listen is not None
        alice = Transferor(f"127.0.0.1:{bob.listen.port}")
        try:
            await alice.call()
            for cseq in range(2, 12):  # ten REFERs at once, each to a target that fails at once
                alice.cseq = cseq
                alice.send("REFER", "Refer-To: <sip:carol@127.0.0.1:9;transport=tcp>")
            answers: dict[int, Response] = {}
            for _ in range(60):
                message = await alice.receive()
                if isinstance(message, Response) and message.cseq.method == "REFER":
                    answers[message.cseq.seq] = message
                if len(answers) == 10:
                    break
            statuses = [answers[cseq].status for cseq in sorted(answers)]
            admitted = statuses.count(202)  # the bucket's burst, fewer if one was under way
            assert statuses[0] == 202 and 1 <= admitted <= 3, statuses
            assert statuses.count(503) == 10 - admitted, statuses
            refused = [answers[c] for c in answers if answers[c].status == 503]
            assert all(r.headers.get("Retry-After") == "2" for r in refused)
            started = [e for e in bob.log.calls() if e.direction is Direction.OUT]
            assert len({e.call_id for e in started}) == admitted  # one call per admitted REFER
            original = [e for e in bob.log.calls() if e.call_id == "transfer-1"]
            assert original[-1].state is CallState.CONFIRMED
        finally:
            alice.sock.close()
            await bob.stop()

    run(scenario())
