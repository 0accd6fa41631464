"""The first-run assistant's engine help against a real Kamailio on loopback: TryAccount with a
right and a wrong password, LocateRegistrar for a numeric server. The phone runs in-process."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest
from lab import Lab
from lab_peers import DOMAIN, USERS, Kamailio

from alexphone.engine.account_trial import trial_timeout
from alexphone.engine.commands import LocateRegistrar, TryAccount
from alexphone.engine.events import AccountTried, RegistrarLocated, TrialOutcome

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "engine"))
from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.settings import sip_uri_option
from alexphone.sip.timer_config import TimerConfig

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio")]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_try_account_says_registered_or_wrong_password(lab: Lab, tmp_path: Path) -> None:
    port = _free_udp_port()
    kamailio = Kamailio(lab, None, ["127.0.0.1"], port=port, transports=["udp"]).start()
    proxy = sip_uri_option(f"sip:127.0.0.1:{port}", "proxy")
    aor = f"sip:alice@{DOMAIN}"

    async def main() -> list[object]:
        phone = await RunningPhone(settings_for(tmp_path, proxy=proxy)).start()
        try:
            phone.execute(LocateRegistrar(f"127.0.0.1:{port}"))
            await phone.log.wait_for(RegistrarLocated)
            phone.execute(TryAccount(aor, "not-" + USERS["alice"]))
            await phone.log.wait_for(AccountTried, timeout=15)
            phone.execute(TryAccount(aor, USERS["alice"]))
            await phone.log.wait_for(AccountTried, lambda e: e.code == 200, timeout=15)
            return list(phone.log.events)
        finally:
            await phone.stop()

    events = run(main(), budget=60)

    (located,) = [e for e in events if isinstance(e, RegistrarLocated)]
    assert located.targets == (f"udp 127.0.0.1:{port}",)
    wrong, right = [e for e in events if isinstance(e, AccountTried)]
    assert (wrong.outcome, wrong.aor) == (TrialOutcome.WRONG_PASSWORD, aor)
    assert right.outcome is TrialOutcome.REGISTERED
    assert not kamailio.registered("alice")  # the trial unregistered again
    assert kamailio.challenges("alice") >= 2


@pytest.mark.slow  # waits out the REGISTER transaction
def test_try_account_without_a_server_says_so(tmp_path: Path) -> None:
    # loopback is a closed network: T1 = 50 ms makes Timer F 3.2 s (RFC 3261 §17.1.1.1)
    timers = TimerConfig(t1=0.05)

    async def main() -> AccountTried:
        # a numeric registrar nobody listens on: the REGISTER gets no answer (ICMP, 503)
        port = _free_udp_port()
        proxy = sip_uri_option(f"sip:127.0.0.1:{port}", "p")
        phone = await RunningPhone(settings_for(tmp_path, proxy=proxy, sip_timers=timers)).start()
        try:
            phone.execute(TryAccount("sip:alice@lab.test", "pw"))
            return await phone.log.wait_for(AccountTried, timeout=trial_timeout(timers) + 5)
        finally:
            await phone.stop()

    tried = asyncio.run(asyncio.wait_for(main(), 60))

    assert tried.outcome in (TrialOutcome.NO_ANSWER, TrialOutcome.REFUSED), tried
