"""SipTransport over TCP on loopback: framing, reuse, pings, limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from alexphone.net.rate_limit import RequestLimits
from alexphone.net.tcp import TcpConnection, TcpPool
from alexphone.net.transport import Flow, ListenSpec, SipTransport, TransportKind
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.parser import StreamFramer, parse

T = TypeVar("T")
TIMEOUT = 5.0
Inbox = asyncio.Queue[tuple[Message, Flow]]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 4 * TIMEOUT))


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def options(branch: str, sent_by: str = "127.0.0.1:9", *, length: bool = True) -> bytes:
    lines = [
        "OPTIONS sip:bob@127.0.0.1;transport=tcp SIP/2.0",
        f"Via: SIP/2.0/TCP {sent_by};branch={branch};rport",
        "From: <sip:alice@example.com>;tag=a1",
        "To: <sip:bob@example.com>",
        f"Call-ID: {branch}@example.com",
        "CSeq: 1 OPTIONS",
    ]
    if length:
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def started(spec: str = "tcp:127.0.0.1:0", **kw: Any) -> tuple[SipTransport, Inbox, Any]:
    inbox: Inbox = asyncio.Queue()
    transport = SipTransport(lambda m, f: inbox.put_nowait((m, f)), **kw)
    [bound] = await transport.start([ListenSpec.parse(spec)])
    return transport, inbox, (bound.host, bound.port)


async def next_message(inbox: Inbox) -> tuple[Message, Flow]:
    return await asyncio.wait_for(inbox.get(), TIMEOUT)


async def read_message(reader: asyncio.StreamReader) -> Message:
    framer = StreamFramer()
    while True:
        chunk = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        assert chunk, "connection closed before a whole message arrived"
        messages = framer.feed(chunk)
        if messages:
            return messages[0]


async def wait_until_closed(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), TIMEOUT)


def test_two_messages_in_one_segment() -> None:
    async def main() -> None:
        transport, inbox, address = await started()
        _reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(options("z9hG4bKa") + options("z9hG4bKb"))
            first, flow1 = await next_message(inbox)
            second, flow2 = await next_message(inbox)
            assert [first.top_via.branch, second.top_via.branch] == ["z9hG4bKa", "z9hG4bKb"]
            client = writer.get_extra_info("sockname")[:2]
            assert flow1 == flow2 == Flow(TransportKind.TCP, address, client)
            assert first.top_via.rport == client[1]  # stamped on TCP too (RFC 3581 §4)
            assert first.top_via.received == "127.0.0.1"
        finally:
            writer.close()
            await transport.close()

    run(main())


def test_message_split_across_segments() -> None:
    async def main() -> None:
        transport, inbox, address = await started()
        _reader, writer = await asyncio.open_connection(*address)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = options("z9hG4bKsplit")
        try:
            for index in range(0, len(data), 40):
                writer.write(data[index : index + 40])
                await writer.drain()
            message, _flow = await next_message(inbox)
            assert message.top_via.branch == "z9hG4bKsplit"
            assert inbox.empty()
        finally:
            writer.close()
            await transport.close()

    run(main())


class FakeStream(asyncio.Transport):
    """Records writes; lets a test feed a TcpConnection byte by byte, deterministically."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 5060), "peername": ("127.0.0.1", 40000)}.get(name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def fake_connection(delivered: list[Message]) -> tuple[TcpConnection, FakeStream]:
    pool = TcpPool(
        lambda m, f: delivered.append(m),
        logging.getLogger("test"),
        idle_timeout=60.0,
        max_connections=4,
        connect_timeout=1.0,
    )
    connection = TcpConnection(pool)
    stream = FakeStream()
    connection.connection_made(stream)
    return connection, stream


def test_framing_byte_by_byte_with_pings_between_messages() -> None:
    async def main() -> None:
        delivered: list[Message] = []
        connection, stream = fake_connection(delivered)
        data = b"\r\n\r\n" + options("z9hG4bK1") + b"\r\n" + b"\r\n" + options("z9hG4bK2")
        for index in range(len(data)):
            connection.data_received(data[index : index + 1])
        assert [m.top_via.branch for m in delivered] == ["z9hG4bK1", "z9hG4bK2"]
        # one pong for the leading ping and one for the CRLF CRLF sent in two pieces
        assert stream.written == b"\r\n\r\n"
        assert not stream.closed

    run(main())


def test_framing_error_in_fake_stream_answers_then_closes() -> None:
    async def main() -> None:
        delivered: list[Message] = []
        connection, stream = fake_connection(delivered)
        data = options("z9hG4bKnolen", length=False)
        connection.data_received(data[:30])
        connection.data_received(data[30:])
        assert delivered == []
        assert stream.written.startswith(
            b"SIP/2.0 400 Content-Length is mandatory on a stream transport\r\n"
        )
        assert b"branch=z9hG4bKnolen" in stream.written
        assert stream.closed

    run(main())


def test_ping_gets_pong_and_stream_stays_usable() -> None:
    async def main() -> None:
        transport, inbox, address = await started()
        reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(b"\r\n\r\n")
            assert await asyncio.wait_for(reader.readexactly(2), TIMEOUT) == b"\r\n"
            writer.write(options("z9hG4bKafter"))
            message, _flow = await next_message(inbox)
            assert message.top_via.branch == "z9hG4bKafter"
        finally:
            writer.close()
            await transport.close()

    run(main())


def test_framing_error_gets_400_then_close() -> None:
    async def main() -> None:
        transport, inbox, address = await started()
        reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(options("z9hG4bKbad", length=False))
            rest = await wait_until_closed(reader)
            response = parse(rest)
            assert isinstance(response, Response)
            assert response.status == 400
            assert response.reason == "Content-Length is mandatory on a stream transport"
            assert inbox.empty()
        finally:
            writer.close()
            await transport.close()

    run(main())


def test_response_goes_back_on_the_same_connection() -> None:
    async def main() -> None:
        transport, inbox, address = await started()
        reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(options("z9hG4bKresp"))
            request, flow = await next_message(inbox)
            assert isinstance(request, Request)
            await transport.send_response(make_response(request, 200), flow)
            response = await read_message(reader)
            assert isinstance(response, Response) and response.status == 200
            assert response.top_via.branch == "z9hG4bKresp"
        finally:
            writer.close()
            await transport.close()

    run(main())


def test_response_reconnects_to_sent_by_when_connection_is_gone() -> None:
    async def main() -> None:
        server, inbox, address = await started()
        arrived: asyncio.Queue[Message] = asyncio.Queue()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            arrived.put_nowait(await read_message(reader))
            writer.close()

        listener = await asyncio.start_server(accept, "127.0.0.1", 0)
        listen_port = listener.sockets[0].getsockname()[1]
        _reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(options("z9hG4bKgone", f"127.0.0.1:{listen_port}"))
            request, flow = await next_message(inbox)
            assert isinstance(request, Request)
            writer.close()
            for _ in range(500):  # bounded: until the server has seen the close
                if not server.is_open(flow):
                    break
                await asyncio.sleep(0.01)
            assert not server.is_open(flow)
            await server.send_response(make_response(request, 200), flow)
            response = await asyncio.wait_for(arrived.get(), TIMEOUT)
            assert isinstance(response, Response) and response.status == 200
            assert response.top_via.branch == "z9hG4bKgone"
        finally:
            listener.close()
            await server.close()

    run(main())


def test_send_request_twice_reuses_one_connection() -> None:
    async def main() -> None:
        server, inbox, address = await started()
        client, _client_inbox, _client_address = await started()
        try:
            flows = []
            for branch in ("z9hG4bKr1", "z9hG4bKr2"):
                request = parse(options(branch))
                assert isinstance(request, Request)
                flows.append(await client.send_request(request, TransportKind.TCP, address))
            assert flows[0] == flows[1]
            _first, server_flow1 = await next_message(inbox)
            _second, server_flow2 = await next_message(inbox)
            assert server_flow1 == server_flow2
            assert server_flow1.remote == flows[0].local
        finally:
            await client.close()
            await server.close()

    run(main())


def test_concurrent_sends_share_one_connection() -> None:
    async def main() -> None:
        server, inbox, address = await started()
        client, _inbox, _address = await started()
        try:
            requests = [parse(options(f"z9hG4bKc{i}")) for i in range(5)]
            flows = await asyncio.gather(
                *(client.send_request(r, TransportKind.TCP, address) for r in requests)  # type: ignore[arg-type]
            )
            assert len(set(flows)) == 1
            remotes = {(await next_message(inbox))[1].remote for _ in requests}
            assert len(remotes) == 1
        finally:
            await client.close()
            await server.close()

    run(main())


def test_idle_connection_is_closed() -> None:
    async def main() -> None:
        transport, _inbox, address = await started(idle_timeout=0.2)
        reader, writer = await asyncio.open_connection(*address)
        try:
            assert await wait_until_closed(reader) == b""
        finally:
            writer.close()
            await transport.close()

    run(main())


def test_connection_cap_refuses_extra_connections() -> None:
    async def main() -> None:
        transport, inbox, address = await started(max_connections=1)
        _reader1, writer1 = await asyncio.open_connection(*address)
        writer1.write(options("z9hG4bKcap"))
        await next_message(inbox)  # the first connection is registered
        reader2, writer2 = await asyncio.open_connection(*address)
        try:
            assert await wait_until_closed(reader2) == b""
            writer1.write(options("z9hG4bKcap2"))
            message, _flow = await next_message(inbox)
            assert message.top_via.branch == "z9hG4bKcap2"
        finally:
            writer1.close()
            writer2.close()
            await transport.close()

    run(main())


def test_tcp_over_ipv6_loopback() -> None:
    if not has_ipv6_loopback():
        pytest.skip("no ::1 on this machine")

    async def main() -> None:
        server, inbox, address = await started("tcp:[::1]:0")
        client, client_inbox, client_address = await started("tcp:[::1]:0")
        try:
            request = parse(options("z9hG4bKv6", f"[::1]:{client_address[1]}"))
            assert isinstance(request, Request)
            flow = await client.send_request(request, TransportKind.TCP, address)
            assert flow.local[0] == "::1" and flow.remote == address
            received, server_flow = await next_message(inbox)
            assert server_flow.remote == flow.local
            assert isinstance(received, Request)
            assert received.top_via.rport == flow.local[1]
            await server.send_response(make_response(received, 200), server_flow)
            response, _flow = await next_message(client_inbox)
            assert isinstance(response, Response) and response.status == 200
            assert client.sent_by(TransportKind.TCP, "::1") == client_address
        finally:
            await client.close()
            await server.close()

    run(main())


def test_malformed_but_framed_message_gets_400_and_the_stream_goes_on() -> None:
    async def main() -> None:
        delivered: list[Message] = []
        connection, stream = fake_connection(delivered)
        bad = options("z9hG4bKbroken").replace(b"CSeq: ", b"CSeq: x")
        connection.data_received(bad + options("z9hG4bKfine"))
        assert [m.top_via.branch for m in delivered] == ["z9hG4bKfine"]
        assert stream.written.startswith(b"SIP/2.0 400 ")
        assert b"branch=z9hG4bKbroken" in stream.written
        assert not stream.closed

    run(main())


def test_replies_to_a_peer_that_already_closed_are_dropped_quietly() -> None:
    # Found by the live fuzz: a peer sends two bad messages and a ping, then resets; the
    # first 400 fails to write and asyncio closes the transport, the rest raised
    # TransportError out of data_received (logged as an error with a traceback).
    async def main() -> None:
        connection, stream = fake_connection([])
        stream.closed = True
        bad = options("z9hG4bKbad").replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")
        connection.data_received(b"\r\n\r\n" + bad + bad)
        assert stream.written == b""

    with _no_error_logged():
        run(main())


@contextlib.contextmanager
def _no_error_logged() -> Iterator[None]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("test").addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger("test").removeHandler(handler)
    assert [r.getMessage() for r in records] == []


def test_requests_on_a_stream_beyond_the_source_limit_are_dropped() -> None:
    async def main() -> None:
        limits = RequestLimits(per_source_rate=0.001, per_source_burst=2)
        transport, inbox, address = await started(limits=limits)
        _reader, writer = await asyncio.open_connection(*address)
        try:
            requests = b"".join(options(f"z9hG4bKflood{n}") for n in range(5))
            response = bytes(make_response(parse(options("z9hG4bKmark")), 200, to_tag="t"))
            writer.write(requests + response)  # the response (never limited) marks the end
            got = []
            while not isinstance(message := (await next_message(inbox))[0], Response):
                got.append(message.top_via.branch)
            assert got == ["z9hG4bKflood0", "z9hG4bKflood1"]
            assert transport.limiter.shed == 3
        finally:
            writer.close()
            await transport.close()

    run(main())
