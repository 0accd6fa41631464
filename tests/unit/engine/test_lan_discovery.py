"""LanDiscovery without mDNS: the stable TXT instance and outbound-proxy discovery.

The proxy lookup goes to a stub resolver whose SRV answers the test sets, so
no DNS server is involved; each scenario runs on its own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alexphone.discovery.resolver import ResolutionError, SipResolver
from alexphone.engine.alexcall.hub import instance_urn
from alexphone.engine.events import Event, ProxyDiscovered, ProxySource
from alexphone.engine.lan_discovery import LanDiscovery
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.net.transport import ListenSpec, TransportKind
from alexphone.sip.uri import SipUri, parse_sip_uri

T = TypeVar("T")


class StubResolver(SipResolver):
    """Answers SRV lookups from a dict (name → targets); raises for names set to None."""

    def __init__(self, answers: dict[str, list[tuple[str, int]] | None]) -> None:
        super().__init__(("192.0.2.53", 53))
        self.answers = answers
        self.asked: list[str] = []

    async def lookup_srv(self, name: str) -> list[tuple[str, int]]:
        """Return the configured targets for ``name``."""
        self.asked.append(name)
        targets = self.answers.get(name, [])
        if targets is None:
            raise ResolutionError(f"{name}: no answer")
        return targets


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one scenario on a fresh loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(make(), 5.0)

    return asyncio.run(bounded())


def settings(tmp_path: Path, aor: str = "sip:alice@lab.test", **extra: Any) -> PhoneSettings:
    """Phone settings with an account, mDNS off and the local domain lab.test."""
    account = AccountSettings(aor=parse_sip_uri(aor))
    return PhoneSettings(profile=tmp_path, accounts=(account,), local_domain="lab.test", **extra)


def test_proxy_of_the_account_domain_is_adopted_and_followed_on_network_change(
    tmp_path: Path,
) -> None:
    events: list[Event] = []
    adopted: list[SipUri | None] = []
    resolver = StubResolver({"_sip._udp.lab.test": [("proxy1.lab.test", 5060)]})

    async def scenario() -> None:
        changed = asyncio.Event()

        def on_proxy(proxy: SipUri | None) -> None:
            adopted.append(proxy)
            changed.set()

        lan = LanDiscovery(settings(tmp_path), events.append, on_proxy=on_proxy, resolver=resolver)
        await lan.start([])  # the first lookup is awaited: REGISTER may use the proxy
        assert [str(p) for p in adopted] == ["sip:proxy1.lab.test:5060;lr"]
        await lan.look_up_proxy()  # the same answer: nothing new to adopt
        assert len(adopted) == 1
        resolver.answers["_sip._udp.lab.test"] = [("proxy2.lab.test", 5080)]
        changed.clear()
        lan.network_changed()  # the lookup runs in the background
        await changed.wait()
        await lan.stop()
        resolver.answers["_sip._udp.lab.test"] = None  # DNS down: keep the proxy
        await lan.look_up_proxy()
        resolver.answers["_sip._udp.lab.test"] = []  # the domain offers none any more
        await lan.look_up_proxy()

    run(scenario)
    assert [str(p) if p else None for p in adopted] == [
        "sip:proxy1.lab.test:5060;lr",
        "sip:proxy2.lab.test:5080;lr",
        None,
    ]
    found = [e for e in events if isinstance(e, ProxyDiscovered)]
    assert [(e.domain, e.uri, e.source) for e in found][:2] == [
        ("lab.test", "sip:proxy1.lab.test:5060;lr", ProxySource.DNS),
        ("lab.test", "sip:proxy1.lab.test:5060;lr", ProxySource.DNS),
    ]
    assert resolver.asked == ["_sip._udp.lab.test"] * 5


def test_proxy_is_not_adopted_for_another_domain_or_over_a_configured_one(
    tmp_path: Path,
) -> None:
    adopted: list[SipUri | None] = []
    events: list[Event] = []
    resolver = StubResolver({"_sip._udp.lab.test": [("proxy1.lab.test", 5060)]})

    async def scenario() -> None:
        other = settings(tmp_path, aor="sip:alice@elsewhere.test")
        lan = LanDiscovery(other, events.append, on_proxy=adopted.append, resolver=resolver)
        await lan.start([])
        await lan.stop()
        configured = settings(tmp_path, proxy=parse_sip_uri("sip:mine.lab.test"))
        lan = LanDiscovery(configured, events.append, on_proxy=adopted.append, resolver=resolver)
        await lan.start([])
        lan.network_changed()
        await lan.stop()

    run(scenario)
    assert adopted == []
    assert [type(e) for e in events] == [ProxyDiscovered]  # reported, not used
    assert resolver.asked == ["_sip._udp.lab.test"]  # --proxy given: never looked up


def test_subdomain_account_uses_the_local_domain_proxy(tmp_path: Path) -> None:
    adopted: list[SipUri | None] = []
    resolver = StubResolver({"_sip._udp.lab.test": [("proxy1.lab.test", 5060)]})

    async def scenario() -> None:
        mine = settings(tmp_path, aor="sip:alice@pbx.lab.test")
        lan = LanDiscovery(mine, lambda _e: None, on_proxy=adopted.append, resolver=resolver)
        await lan.start([])
        await lan.stop()

    run(scenario)
    assert [str(p) for p in adopted] == ["sip:proxy1.lab.test:5060;lr"]


def test_advertised_instance_is_the_profile_urn_every_start(tmp_path: Path) -> None:
    bound = [ListenSpec(TransportKind.UDP, "192.0.2.10", 5060)]

    async def txt_instances() -> list[str]:
        found = []
        for _ in range(2):
            lan = LanDiscovery(PhoneSettings(profile=tmp_path), lambda _e: None)
            await lan.start(bound)
            found.append(lan._advertisement(["192.0.2.10"]).txt.instance)
            await lan.stop()
        return found

    first, second = run(txt_instances)
    assert first == second == instance_urn(tmp_path).strip("<>")
    assert first.startswith("urn:uuid:")
    other = tmp_path / "other"
    assert instance_urn(other).strip("<>") != first
