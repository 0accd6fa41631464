"""DnsSd browsing against packets handed to a python-zeroconf bound to 127.0.0.1 only.

Responses are built with zeroconf's own DNSOutgoing and given straight to the
browsing instance (its record manager), so the order of PTR, SRV/TXT/A and
goodbyes is exact and no other host is involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from zeroconf import (
    DNSAddress,
    DNSIncoming,
    DNSOutgoing,
    DNSPointer,
    DNSRecord,
    DNSService,
    DNSText,
)
from zeroconf.const import (
    _CLASS_IN,
    _CLASS_UNIQUE,
    _FLAGS_AA,
    _FLAGS_QR_RESPONSE,
    _TYPE_A,
    _TYPE_PTR,
    _TYPE_SRV,
    _TYPE_TXT,
)

from alexphone.discovery.dns_sd import UDP_TYPE, DnsSd
from alexphone.discovery.peer_table import ServiceRecord

TTL = 120


def records(instance: str, ttl: int = TTL) -> list[DNSRecord]:
    """SRV, TXT and A of `instance` (host `<instance>.local.`, 192.0.2.7:5060)."""
    name = f"{instance}.{UDP_TYPE}"
    host = f"{instance}.local."
    unique = _CLASS_IN | _CLASS_UNIQUE
    return [
        DNSService(name, _TYPE_SRV, unique, ttl, 0, 0, 5060, host),
        DNSText(name, _TYPE_TXT, unique, ttl, b"\x06user=b"),
        DNSAddress(host, _TYPE_A, unique, ttl, bytes([192, 0, 2, 7])),
    ]


def ptr(instance: str, ttl: int = TTL) -> DNSPointer:
    """The PTR naming `instance` (ttl 0: its goodbye, RFC 6762 §10.1)."""
    return DNSPointer(UDP_TYPE, _TYPE_PTR, _CLASS_IN, ttl, f"{instance}.{UDP_TYPE}")


def deliver(browser: DnsSd, answers: Sequence[DNSRecord]) -> None:
    """Hand one mDNS response carrying `answers` to the browsing zeroconf."""
    out = DNSOutgoing(_FLAGS_QR_RESPONSE | _FLAGS_AA)
    for answer in answers:
        out.add_answer_at_time(answer, 0)
    zeroconf = browser._require().zeroconf
    zeroconf.record_manager.async_updates_from_response(DNSIncoming(out.packets()[0]))


async def settle() -> None:
    """Let the loop run the callbacks and tasks the last packet started."""
    for _ in range(20):
        await asyncio.sleep(0)


def test_resolve_pending_at_goodbye_does_not_bring_the_peer_back() -> None:
    seen: list[str] = []
    gone: list[str] = []
    sentinel = asyncio.Event()

    def on_record(instance: str, record: ServiceRecord) -> None:
        seen.append(instance)
        if instance == "sentinel":
            sentinel.set()

    async def scenario() -> None:
        browser = DnsSd(
            on_record,
            lambda instance, _type: gone.append(instance),
            interfaces=["127.0.0.1"],
            service_types=(UDP_TYPE,),
        )
        await browser.start()
        try:
            deliver(browser, [ptr("leaver")])  # PTR alone: the resolve must ask and wait
            await settle()
            assert seen == []
            deliver(browser, [ptr("leaver", ttl=0)])
            await settle()
            assert gone == ["leaver"]
            # SRV/TXT/A that were in flight arrive after the goodbye
            deliver(browser, records("leaver"))
            # a later, complete service: once it is seen, every earlier answer was handled
            deliver(browser, [ptr("sentinel"), *records("sentinel")])
            await asyncio.wait_for(sentinel.wait(), 5.0)
        finally:
            await browser.close()

    asyncio.run(scenario())
    assert seen == ["sentinel"]


def test_records_after_the_ptr_complete_a_pending_resolve() -> None:
    seen: list[tuple[str, ServiceRecord]] = []
    found = asyncio.Event()

    def on_record(instance: str, record: ServiceRecord) -> None:
        seen.append((instance, record))
        found.set()

    async def scenario() -> None:
        browser = DnsSd(
            on_record, lambda *_: None, interfaces=["127.0.0.1"], service_types=(UDP_TYPE,)
        )
        await browser.start()
        try:
            deliver(browser, [ptr("late")])
            await settle()
            assert seen == []
            deliver(browser, records("late"))  # SRV/TXT/A in a later packet
            await asyncio.wait_for(found.wait(), 5.0)
        finally:
            await browser.close()

    asyncio.run(scenario())
    assert [(name, r.server, r.port, r.addresses) for name, r in seen] == [
        ("late", "late.local.", 5060, ("192.0.2.7",))
    ]
