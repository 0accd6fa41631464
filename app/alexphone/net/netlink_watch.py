"""Listens to the Linux kernel's rtnetlink announcements of link, address and route changes.

A thin adapter: it subscribes to the multicast groups of rtnetlink (rtnetlink(7)) with
pyroute2's asyncio socket, on the running loop, and calls back once per message. Which
messages amount to a move is decided elsewhere (``change_settler`` and the table comparison
of ``network_monitor``); this module only says that something changed.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

# rtnetlink(7) multicast groups (linux/rtnetlink.h): links, addresses and routes of both families
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV6_ROUTE = 0x400
GROUPS = (
    RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE
)


class NetlinkUnavailable(OSError):
    """This platform or process cannot subscribe to rtnetlink; poll instead."""


async def watch_rtnetlink(on_message: Callable[[str], None], on_ready: Callable[[], None]) -> None:
    """Call ``on_message(event name)`` per kernel announcement until cancelled.

    ``on_ready`` runs once the subscription is in place (announcements from then on are seen).
    Raises ``NetlinkUnavailable`` when rtnetlink cannot be opened (not Linux, no permission).
    """
    if not sys.platform.startswith("linux"):
        raise NetlinkUnavailable(f"no rtnetlink on {sys.platform}")
    try:
        # pyroute2 takes 0.1-0.7 s to import (seconds on a loaded machine); on the loop that
        # stalled the first calls after ua.ready, so a worker thread imports it
        pyroute2 = await asyncio.to_thread(importlib.import_module, "pyroute2")
    except ImportError as exc:  # pragma: no cover - a packaging fault, not a runtime state
        raise NetlinkUnavailable(f"pyroute2 missing: {exc}") from exc
    try:
        ipr = pyroute2.AsyncIPRoute()
        await ipr.bind(groups=GROUPS)
    except OSError as exc:
        raise NetlinkUnavailable(f"cannot subscribe to rtnetlink: {exc}") from exc
    try:
        on_ready()
        while True:
            seen = 0
            async for message in ipr.get():  # the messages of one datagram, then it returns
                seen += 1
                on_message(str(message.get("event", "?")))
            if not seen:  # the socket was closed under us
                raise NetlinkUnavailable("rtnetlink socket closed")
    finally:
        ipr.close()
