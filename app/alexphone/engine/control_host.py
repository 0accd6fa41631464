"""Runs a phone that also serves ``alexphone ctl`` on its profile's control socket.

The daemon and the desktop app both run their phone through :func:`run_served_phone`, so a
script drives either the same way. The socket is taken before the phone starts, so a second
phone on the profile stops here (the daemon) or runs without it (the window, which says so
in its log); every event goes to the face first, then to the socket's subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.engine.client import PhoneClient
from alexphone.engine.control import socket_path
from alexphone.engine.control_server import ControlServer, ControlSocketBusy
from alexphone.engine.events import Event
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import PhoneSettings

log = logging.getLogger(__name__)


async def run_served_phone(
    settings: PhoneSettings,
    emit: Callable[[Event], None],
    on_started: Callable[[PhoneClient], None] | None = None,
    *,
    busy_is_fatal: bool = True,
) -> None:
    """Run a phone until Shutdown, serving control requests on ``ctl.sock`` in its profile.

    A live phone already on the socket raises ControlSocketBusy when ``busy_is_fatal``, else
    the phone runs without a socket; a socket that cannot be made (a path too long for a Unix
    socket) is logged and the phone runs without it.
    """
    server: ControlServer | None = ControlServer(socket_path(settings.profile))
    assert server is not None
    try:
        await server.start()
    except ControlSocketBusy as exc:
        if busy_is_fatal:
            raise
        log.warning("no control socket: %s", exc)
        server = None
    except OSError as exc:
        log.warning("no control socket (alexphone ctl will not reach this phone): %s", exc)
        server = None

    def emit_all(event: Event) -> None:
        emit(event)
        if server is not None:
            server.publish(event)

    def started(client: PhoneClient) -> None:
        if server is not None:
            server.attach(client)
        if on_started is not None:
            on_started(client)

    try:
        await run_phone(settings, emit_all, started)
    finally:
        if server is not None:
            await server.close()
