"""Runs alexphone's NetworkMonitor alone and prints what it notices, for the network-watch tests.

Output lines: ``watching`` once rtnetlink is subscribed (``polling`` if it fell back), then
``changed <CLOCK_MONOTONIC seconds> <addresses>`` per reported change. CLOCK_MONOTONIC is the
same in every namespace, so the test compares it with its own ``time.monotonic()``.

Usage: python network_watch_probe.py SECONDS
"""

from __future__ import annotations

import asyncio
import sys
import time

from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.network_monitor import NetworkMonitor


def _changed(addresses: list[InterfaceAddress], fingerprint: str) -> None:
    del fingerprint
    listed = ",".join(sorted(a.address for a in addresses)) or "-"
    print(f"changed {time.monotonic():.6f} {listed}", flush=True)


async def _main(seconds: float) -> None:
    monitor = NetworkMonitor(_changed)
    monitor.start()
    watching = asyncio.ensure_future(monitor.watching.wait())
    for _ in range(int(seconds * 20)):  # bounded: 50 ms steps up to SECONDS
        if watching.done() or monitor.polling:
            break
        await asyncio.sleep(0.05)
    print("watching" if watching.done() else "polling", flush=True)
    await asyncio.sleep(seconds)
    watching.cancel()
    await monitor.stop()


if __name__ == "__main__":
    asyncio.run(_main(float(sys.argv[1])))
