"""A default listen port another program holds moves to a free port and is reported; an
explicit one fails. Each test blocks a port it picked itself (never 5060 itself), so the
outcome does not depend on what else runs on the machine."""

from __future__ import annotations

import asyncio
import errno
import socket
from pathlib import Path

import pytest
from phone_pair import RunningPhone, run, settings_for

from alexphone.cli import build_parser, settings_from
from alexphone.core.errors import TransportError
from alexphone.engine.events import ListenPortTaken, UaReady
from alexphone.net.flow import ListenSpec, TransportKind
from alexphone.net.transport import SipTransport


def _blocked_udp_port(holder: socket.socket) -> int:
    """Bind ``holder`` to a free loopback UDP port, as another SIP phone would; return it."""
    holder.bind(("127.0.0.1", 0))
    return int(holder.getsockname()[1])


def _is_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def test_phone_moves_a_taken_default_port_and_says_so(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other_phone:
        taken = _blocked_udp_port(other_phone)
        wanted = f"udp:127.0.0.1:{taken}"

        async def main() -> tuple[list[object], ListenSpec]:
            phone = RunningPhone(settings_for(tmp_path, wanted, listen_fallback=True))
            await phone.start()
            try:
                assert phone.listen is not None
                assert _is_busy(phone.listen.port)  # the phone really holds its new port
                return list(phone.log.events), phone.listen
            finally:
                await phone.stop()

        events, listen = run(main())

    assert listen.port != taken and listen.host == "127.0.0.1"
    moved = [e for e in events if isinstance(e, ListenPortTaken)]
    assert moved == [ListenPortTaken(wanted, str(listen))]
    ready = next(i for i, e in enumerate(events) if isinstance(e, UaReady))
    assert events.index(moved[0]) < ready  # said before the phone reports itself ready


def test_explicit_listen_on_a_taken_port_fails(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other_phone:
        taken = _blocked_udp_port(other_phone)

        async def main() -> None:
            phone = RunningPhone(settings_for(tmp_path, f"udp:127.0.0.1:{taken}"))
            with pytest.raises(TransportError, match=str(taken)):
                await phone.start()

        run(main())


def test_wildcard_listener_moves_when_a_loopback_socket_holds_its_port() -> None:
    # The default listener is udp:0.0.0.0:5060; a phone bound to 127.0.0.1:5060 blocks it.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other_phone:
        taken = _blocked_udp_port(other_phone)

        async def main() -> list[ListenSpec]:
            transport = SipTransport(lambda message, flow: None)
            try:
                return await transport.start(
                    [ListenSpec(TransportKind.UDP, "0.0.0.0", taken)], any_port_if_busy=True
                )
            finally:
                await transport.close()

        (bound,) = asyncio.run(asyncio.wait_for(main(), 10))

    assert bound.host == "0.0.0.0" and bound.port not in (0, taken)


@pytest.mark.parametrize(
    ("argv", "fallback"),
    [
        (["daemon"], True),  # the default listener may move
        (["daemon", "--listen", "udp:127.0.0.1:5060"], False),  # what the user asked for
    ],
)
def test_only_the_default_listener_may_move(argv: list[str], fallback: bool) -> None:
    settings = settings_from(build_parser().parse_args(argv))

    assert settings.listen_fallback is fallback
