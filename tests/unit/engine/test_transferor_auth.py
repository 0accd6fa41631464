"""Our REFER challenged by the transferee (RFC 3261 §22.2): answered once, never looped."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
from pathlib import Path

from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.commands import Transfer
from alexphone.engine.events import CallState, CallTransferred, TransferRole, TransferState
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.sip.message import Request, Response
from alexphone.sip.parser import parse
from alexphone.sip.uri import parse_sip_uri

SDP = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
SDP += "m=audio 40000 RTP/AVP 0\r\n"
CHALLENGE = 'Proxy-Authenticate: Digest realm="lab", nonce="n0nce", algorithm=MD5'


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # RFC 2617 digest


class Transferee:
    """A raw SIP endpoint on loopback: calls the phone, then answers what the phone sends."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]  # the phone's registrar too
        self.phone = ("127.0.0.1", 0)  # known once the phone is up
        self.to = ""

    def send(self, text: str) -> None:
        self.sock.sendto(text.encode(), self.phone)

    def reply(self, request: bytes, status: str, *extra: str, body: str = "") -> None:
        """Answer ``request`` with its Via/From/To/Call-ID/CSeq (a To tag added if missing)."""
        keep = ("via", "from", "to", "call-id", "cseq")
        lines = [
            line for line in request.decode().split("\r\n") if line.split(":")[0].lower() in keep
        ]
        lines = [
            f"{line};tag=t1" if line.startswith("To:") and "tag=" not in line else line
            for line in lines
        ]
        head = "\r\n".join([f"SIP/2.0 {status}", *lines, *extra])
        self.send(f"{head}\r\nContent-Length: {len(body)}\r\n\r\n{body}")

    async def expect(self, method: str, count: int = 30) -> tuple[Request, bytes]:
        """Return the next ``method`` request; answer REGISTER, pass over ACKs and responses."""
        loop = asyncio.get_running_loop()
        for _ in range(count):
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), 5.0)
            message = parse(data)
            if isinstance(message, Request) and message.method == method:
                return message, data
            if isinstance(message, Request) and message.method == "REGISTER":
                contact = message.headers.get("Contact") or ""
                self.reply(data, "200 OK", f"Contact: {contact};expires=600")
            elif isinstance(message, Request) and message.method == "INVITE":  # the hold
                self.answer(data, "a=recvonly\r\n")
        raise AssertionError(f"no {method}")

    async def stop(self, phone: RunningPhone) -> None:
        """Stop ``phone``, answering its un-REGISTER meanwhile, then close the socket."""
        serving = asyncio.ensure_future(self.expect("none"))
        try:
            await phone.stop()
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            self.sock.close()

    def answer(self, invite: bytes, direction: str = "") -> None:
        """Answer a re-INVITE of the phone with 200 and our SDP (``direction`` attribute)."""
        body = SDP.replace("t=0 0\r\n", f"t=0 0\r\n{direction}")
        self.reply(invite, "200 OK", self._contact(), "Content-Type: application/sdp", body=body)

    def _contact(self) -> str:
        return f"Contact: <sip:alice@127.0.0.1:{self.port}>"

    async def call(self, phone_port: int) -> None:
        """Call the phone (it auto-answers) and ACK its 200."""
        self.phone = ("127.0.0.1", phone_port)
        self.to = f"<sip:bob@127.0.0.1:{phone_port}>"
        via = f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bKinv1"
        common = [via, f"From: <sip:alice@127.0.0.1:{self.port}>;tag=a1", "Call-ID: xfer-auth-1"]
        self.send(
            "\r\n".join(
                [
                    f"INVITE sip:bob@127.0.0.1:{self.phone[1]} SIP/2.0",
                    *common,
                    f"To: {self.to}",
                    "CSeq: 1 INVITE",
                    self._contact(),
                    "Max-Forwards: 70",
                    "Content-Type: application/sdp",
                    f"Content-Length: {len(SDP)}",
                    "",
                    SDP,
                ]
            )
        )
        loop = asyncio.get_running_loop()
        for _ in range(10):
            message = parse(await asyncio.wait_for(loop.sock_recv(self.sock, 65535), 5.0))
            if isinstance(message, Response) and message.status == 200:
                self.to = message.headers.get("To") or ""
                break
        else:
            raise AssertionError("no 200 to our INVITE")
        via = via.replace("inv1", "ack1")
        self.send(
            "\r\n".join(
                [
                    f"ACK sip:bob@127.0.0.1:{self.phone[1]} SIP/2.0",
                    via,
                    *common[1:],
                    f"To: {self.to}",
                    "CSeq: 1 ACK",
                    "Max-Forwards: 70",
                    "Content-Length: 0",
                    "",
                    "",
                ]
            )
        )

    def notify(self, refer: Request, sipfrag: str) -> None:
        """Report the outcome of ``refer`` in a final NOTIFY (RFC 3515 §2.4.5)."""
        to = refer.headers.get("From") or ""
        lines = [
            f"NOTIFY sip:bob@127.0.0.1:{self.phone[1]} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bKntf{refer.cseq.seq}",
            f"From: <sip:alice@127.0.0.1:{self.port}>;tag=a1",
            f"To: {to}",
            "Call-ID: xfer-auth-1",
            "CSeq: 2 NOTIFY",
            "Max-Forwards: 70",
            self._contact(),
            f"Event: refer;id={refer.cseq.seq}",
            "Subscription-State: terminated;reason=noresource",
            "Content-Type: message/sipfrag;version=2.0",
            f"Content-Length: {len(sipfrag)}",
            "",
            sipfrag,
        ]
        self.send("\r\n".join(lines))


def _phone_settings(tmp_path: Path, registrar_port: int) -> PhoneSettings:
    account = AccountSettings(
        parse_sip_uri("sip:bob@lab.example"),
        password="s3cret",
        registrar=parse_sip_uri(f"sip:127.0.0.1:{registrar_port}"),
    )
    return settings_for(tmp_path / "b", user="bob", auto_answer=0.0, accounts=(account,))


def _credentials(refer: Request) -> dict[str, str]:
    value = refer.headers.get("Proxy-Authorization") or ""
    return dict(re.findall(r'(\w+)="?([^",]*)"?', value))


def _transfers(phone: RunningPhone) -> list[TransferState]:
    return [
        e.state
        for e in phone.log.events
        if isinstance(e, CallTransferred) and e.role is TransferRole.TRANSFEROR
    ]


def test_a_challenged_refer_goes_again_with_credentials_and_the_transfer_completes(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        alice = Transferee()
        bob = await RunningPhone(_phone_settings(tmp_path, alice.port)).start()
        assert bob.listen is not None
        try:
            await alice.call(bob.listen.port)
            bob.execute(Transfer("xfer-auth-1", "sip:carol@127.0.0.1:9"))
            first, raw = await alice.expect("REFER")
            assert "Proxy-Authorization" not in first.headers
            alice.reply(raw, "407 Proxy Authentication Required", CHALLENGE)
            second, raw = await alice.expect("REFER")
            assert second.cseq.seq == first.cseq.seq + 1  # RFC 3261 §8.1.3.5
            creds = _credentials(second)
            assert (creds["username"], creds["realm"], creds["nonce"]) == ("bob", "lab", "n0nce")
            ha1 = _md5("bob:lab:s3cret")
            ha2 = _md5(f"REFER:{creds['uri']}")
            assert creds["response"] == _md5(f"{ha1}:n0nce:{ha2}")
            alice.reply(raw, "202 Accepted")
            alice.notify(second, "SIP/2.0 200 OK\r\n")
            await bob.log.wait_for(CallTransferred, lambda e: e.state is TransferState.SUCCEEDED)
            await alice.expect("BYE")  # the transferred call is ours no more (RFC 5589 §6.1)
            assert TransferState.FAILED not in _transfers(bob)
        finally:
            await alice.stop(bob)

    run(scenario())


def test_a_second_challenge_fails_the_transfer_and_the_call_is_resumed(tmp_path: Path) -> None:
    async def scenario() -> None:
        alice = Transferee()
        bob = await RunningPhone(_phone_settings(tmp_path, alice.port)).start()
        assert bob.listen is not None
        try:
            await alice.call(bob.listen.port)
            bob.execute(Transfer("xfer-auth-1", "sip:carol@127.0.0.1:9"))
            for _ in range(2):  # the credentials are refused: one retry, no loop
                _, raw = await alice.expect("REFER")
                alice.reply(raw, "407 Proxy Authentication Required", CHALLENGE)
            await bob.log.wait_for(CallTransferred, lambda e: e.state is TransferState.FAILED)
            assert _transfers(bob) == [TransferState.REQUESTED, TransferState.FAILED]
            _, resume = await alice.expect("INVITE")  # the hold was answered: now the resume
            alice.answer(resume)

            def resumed() -> bool:
                states = [e.state for e in bob.log.calls()]
                held = CallState.HELD in states
                return held and CallState.CONFIRMED in states[states.index(CallState.HELD) :]

            await bob.log.wait_until(resumed, what="the call held, then resumed")
            assert CallState.ENDED not in [e.state for e in bob.log.calls()]
        finally:
            await alice.stop(bob)

    run(scenario())
