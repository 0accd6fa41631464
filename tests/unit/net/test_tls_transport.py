"""SIP over TLS on loopback: verified against our own CA, refused without it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from alexphone.core.errors import TransportError
from alexphone.net.tls import TlsSettings
from alexphone.net.transport import Flow, ListenSpec, SipTransport, TransportKind
from alexphone.sip.message import Message, Request, make_response
from alexphone.sip.parser import parse

REQUEST = (
    b"OPTIONS sip:registrar.lab.test SIP/2.0\r\n"
    b"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls1\r\n"
    b"From: <sip:alice@lab.test>;tag=1\r\nTo: <sip:registrar.lab.test>\r\nCall-ID: tls1\r\n"
    b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for registrar.lab.test and 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=registrar.lab.test",
         "-addext", "subjectAltName=DNS:registrar.lab.test,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def request() -> Request:
    message = parse(REQUEST)
    assert isinstance(message, Request)
    return message


async def exchange(
    cert: Path, key: Path, client: TlsSettings, server_name: str | None
) -> tuple[Flow, Message]:
    """Send one OPTIONS over TLS to a listener that answers 200; return (server flow, reply)."""
    received: asyncio.Queue[tuple[Message, Flow]] = asyncio.Queue()
    replies: asyncio.Queue[Message] = asyncio.Queue()
    server = SipTransport(
        lambda m, f: received.put_nowait((m, f)), tls=TlsSettings(certificate=cert, private_key=key)
    )
    caller = SipTransport(lambda m, f: replies.put_nowait(m), tls=client)
    try:
        [listener] = await server.start([ListenSpec.parse("tls:127.0.0.1:0")])
        await caller.start([ListenSpec.parse("udp:127.0.0.1:0")])  # outbound TLS needs none
        await caller.send_request(
            request(), TransportKind.TLS, ("127.0.0.1", listener.port), server_name
        )
        message, flow = await asyncio.wait_for(received.get(), 5)
        assert isinstance(message, Request)
        await server.send_response(make_response(message, 200, to_tag="t"), flow)
        return flow, await asyncio.wait_for(replies.get(), 5)
    finally:
        await caller.close()
        await server.close()


def test_tls_request_and_response_share_one_verified_connection(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate

    flow, reply = asyncio.run(exchange(cert, key, TlsSettings(ca_file=cert), "registrar.lab.test"))

    assert flow.kind is TransportKind.TLS
    assert reply.status == 200  # type: ignore[union-attr]


def test_unknown_certificate_authority_is_refused(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate

    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(exchange(cert, key, TlsSettings(), "registrar.lab.test"))


def test_certificate_for_another_name_is_refused(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate

    with pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED|hostname"):
        asyncio.run(exchange(cert, key, TlsSettings(ca_file=cert), "evil.example.com"))
