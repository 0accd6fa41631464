"""Every GUI model passes Qt's model tester, and updates land in the right rows."""

from __future__ import annotations

from pathlib import Path

from pytestqt.modeltest import ModelTester

from alexphone.engine.events import (
    CallChanged,
    CallState,
    CheckState,
    Direction,
    Encryption,
    Flow,
    PathKind,
)
from alexphone.gui.alex_model import CacheEntry, CacheModel, Pair, PairModel
from alexphone.gui.call_model import CallModel
from alexphone.gui.contact_model import ContactFilter, ContactModel
from alexphone.gui.history_model import HistoryModel
from alexphone.gui.peer_model import Peer, PeerModel
from alexphone.gui.presence import Presence
from alexphone.gui.roles import ItemRole
from alexphone.gui.sip_log_model import LogLine, SipLogModel
from alexphone.store.contacts import Contact, ContactStore
from alexphone.store.database import open_database
from alexphone.store.history import HistoryDirection, HistoryStore

AUDIO = Flow.AUDIO


def _contacts(tmp_path: Path) -> tuple[ContactStore, ContactModel]:
    store = ContactStore(open_database(tmp_path / "a.db"))
    store.add(Contact("Bob", "sip:bob@example.com"))
    return store, ContactModel(store)


def test_contact_filter(qtmodeltester: ModelTester, tmp_path: Path) -> None:
    _, model = _contacts(tmp_path)
    proxy = ContactFilter(model)
    qtmodeltester.check(proxy, force_py=True)
    model.add(Contact("Alice", "sip:alice@example.com", "work"))
    proxy.setFilterFixedString("WORK")
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data() == "Alice"
    proxy.setFilterFixedString("example.com")
    assert proxy.rowCount() == 2


def test_contact_model(qtmodeltester: ModelTester, tmp_path: Path) -> None:
    store, model = _contacts(tmp_path)
    qtmodeltester.check(model, force_py=True)
    model.add(Contact("Alice", "sip:alice@example.com", "work"))
    model.add(Contact("Carol", "sip:carol@lan.test"))
    assert [model.index(r).data() for r in range(3)] == ["Alice", "Bob", "Carol"]
    model.remove(1)
    assert [c.name for c in store.all()] == ["Alice", "Carol"]


def test_peer_model_and_presence(qtmodeltester: ModelTester, tmp_path: Path) -> None:
    peers = PeerModel()
    qtmodeltester.check(peers, force_py=True)
    peers.add(Peer("bob's laptop", "sip:bob@192.168.1.7:5060", ("192.168.1.7:5060",), True))
    peers.add(Peer("bob's laptop", "sip:bob@192.168.1.7:5060", ("192.168.1.7:5060",), False))
    assert peers.rowCount() == 1 and peers.index(0).data(ItemRole.BADGE) == ""
    cache = CacheModel(lambda: 100.0)
    presence = Presence(peers, cache)
    assert presence.badge("sip:bob@192.168.1.7") == "on your LAN"
    assert presence.badge("sip:eve@10.0.0.1") == ""
    cache.upsert(CacheEntry("sip:eve@10.0.0.1", Flow.AUDIO, "a:1", "203.0.113.5:4000", 12.0, 40.0))
    assert presence.badge("sip:eve@10.0.0.1") == "via 203.0.113.5:4000"
    peers.remove("sip:bob@192.168.1.7:5060")
    assert peers.rowCount() == 0


def test_call_model_follows_a_call(qtmodeltester: ModelTester) -> None:
    calls = CallModel()
    qtmodeltester.check(calls, force_py=True)
    calls.apply_state(CallChanged("c1", Direction.OUT, "sip:b@x", CallState.CALLING), 10.0)
    calls.apply_state(CallChanged("c1", Direction.OUT, "sip:b@x", CallState.CONFIRMED), 12.0)
    calls.apply_media("c1", "opus", "10.0.0.1:4000", "10.0.0.2:4002", PathKind.HOST)
    calls.apply_stats("c1", 50, 48, 2, 3.5, 20.0)
    call = calls.apply_state(
        CallChanged("c1", Direction.OUT, "sip:b@x", CallState.ENDED, 408, "Timeout"), 20.0
    )
    assert calls.rowCount() == 1
    assert call.elapsed(99.0) == 8.0
    assert call.path_words == "direct on your LAN"
    assert call.security_words == "Not encrypted"
    assert call.state_words() == "Ended: Timeout (408)"
    calls.prune_ended()
    assert calls.rowCount() == 0


def test_call_model_says_whether_the_audio_is_encrypted() -> None:
    calls = CallModel()
    up = calls.apply_state(CallChanged("c1", Direction.IN, "sip:b@x", CallState.CONFIRMED), 1.0)
    assert up.security_words == ""  # before call.media
    call = calls.apply_media(
        "c1", "PCMU/8000", "a:1", "b:2", PathKind.HOST, Encryption.SRTP, "AES_CM_128_HMAC_SHA1_80"
    )
    assert call is not None
    assert call.security_words == (
        "\N{LOCK} Encrypted (AES-128, 80-bit authentication); keys exchanged in the call setup"
    )


def test_call_model_says_when_dtls_verified_the_keys() -> None:
    calls = CallModel()
    calls.apply_state(CallChanged("c1", Direction.OUT, "sip:b@x", CallState.CONFIRMED), 1.0)
    shaking = calls.apply_media("c1", "PCMU/8000", "a:1", "b:2", PathKind.HOST,
                                Encryption.DTLS_SRTP, None)  # fmt: skip
    assert shaking is not None and "DTLS handshake" in shaking.security_words
    assert "\N{LOCK}" not in shaking.security_words  # not encrypted yet: no lock
    keyed = calls.apply_media("c1", "PCMU/8000", "a:1", "b:2", PathKind.HOST,
                              Encryption.DTLS_SRTP, "AEAD_AES_128_GCM")  # fmt: skip
    assert keyed is not None and keyed.security_words == (
        "\N{LOCK} Encrypted (AES-128-GCM); keys verified by DTLS fingerprint"
    )


def test_pair_model_highlights_the_selected_pair(qtmodeltester: ModelTester) -> None:
    pairs = PairModel()
    qtmodeltester.check(pairs, force_py=True)
    pairs.show_call("c1")
    pairs.upsert(Pair("c1", AUDIO, "10.0.0.1:4000", "10.0.0.2:4000", CheckState.IN_PROGRESS))
    pairs.upsert(Pair("c1", AUDIO, "10.0.0.1:4000", "198.51.100.2:4000", CheckState.WAITING))
    pairs.upsert(Pair("c2", AUDIO, "x", "y", CheckState.WAITING))  # another call: not shown
    pairs.select("c1", AUDIO, "10.0.0.1:4000", "10.0.0.2:4000", 3.0)
    assert pairs.rowCount() == 2
    assert pairs.index(0, 3).data() == "succeeded" and pairs.index(0, 4).data() == "3 ms"
    assert pairs.index(0, 0).data(ItemRole.VALUE).selected
    assert not pairs.index(1, 0).data(ItemRole.VALUE).selected
    assert pairs.items("remote") == ["10.0.0.2:4000", "198.51.100.2:4000"]
    pairs.forget("c1")
    assert pairs.rowCount() == 0


def test_cache_model(qtmodeltester: ModelTester) -> None:
    cache = CacheModel(lambda: 4000.0)
    qtmodeltester.check(cache, force_py=True)
    cache.upsert(CacheEntry("sip:a@x", Flow.AUDIO, "l", "r", 5.0, 400.0, "home"))
    cache.upsert(CacheEntry("sip:a@x", Flow.SIP, "l", "r", None, 3990.0))
    assert [cache.index(r, 5).data() for r in range(2)] == ["1 h", "10 s"]
    cache.remove(0)
    cache.clear()
    assert cache.rowCount() == 0


def test_history_model(qtmodeltester: ModelTester, tmp_path: Path) -> None:
    store = HistoryStore(open_database(tmp_path / "a.db"))
    row = store.begin("c1", HistoryDirection.IN, "sip:eve@x", 1000.0)
    store.ended(row, 1005.0, 487, "Request Terminated")
    model = HistoryModel(store, lambda: 1010.0)
    qtmodeltester.check(model, force_py=True)
    assert model.index(0, 0).data() == "✕ Missed"
    store.begin("c2", HistoryDirection.OUT, "sip:bob@x", 1100.0)
    model.reload()
    assert model.rowCount() == 2 and model.index(0, 1).data() == "sip:bob@x"


def test_sip_log_model_caps_and_copies(qtmodeltester: ModelTester) -> None:
    log = SipLogModel(max_lines=3)
    qtmodeltester.check(log, force_py=True)
    for n in range(5):
        log.append(LogLine(float(n), "←", "10.0.0.2:5060", f"OPTIONS {n}"))
    assert log.rowCount() == 3
    assert "OPTIONS 2" in log.text().splitlines()[0]
    assert log.text([2]).endswith("OPTIONS 4")
