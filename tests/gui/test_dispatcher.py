"""The dispatcher matches engine events by class and feeds the models their typed fields."""

from __future__ import annotations

from pathlib import Path

from alexphone.engine.events import (
    AlexPairChanged,
    AlexSelected,
    CallChanged,
    CallMoved,
    CallState,
    CheckState,
    Direction,
    Flow,
    ListenPortTaken,
    MoveOutcome,
    NetworkChanged,
    NetworkState,
    PathKind,
    SipMessageLogged,
    UaReady,
)
from alexphone.gui.alex_model import CacheModel, PairModel
from alexphone.gui.call_model import CallModel
from alexphone.gui.dispatcher import EventDispatcher
from alexphone.gui.history_model import HistoryModel
from alexphone.gui.peer_model import PeerModel
from alexphone.gui.roles import ItemRole
from alexphone.gui.sip_log_model import SipLogModel
from alexphone.store.database import open_database
from alexphone.store.history import HistoryStore


def _dispatcher(tmp_path: Path) -> EventDispatcher:
    store = HistoryStore(open_database(tmp_path / "alexphone.db"))
    return EventDispatcher(
        CallModel(),
        PeerModel(),
        PairModel(),
        CacheModel(lambda: 50.0),
        SipLogModel(),
        HistoryModel(store),
        clock=lambda: 50.0,
    )


def test_alex_pairs_and_selection_reach_the_pair_and_cache_models(tmp_path: Path) -> None:
    dispatcher = _dispatcher(tmp_path)
    dispatcher.pairs.show_call("c1")
    dispatcher.dispatch(CallChanged("c1", Direction.OUT, "sip:bob@x", CallState.CONFIRMED))
    local, remote = "10.0.0.1:4000", "10.0.0.2:4000"
    dispatcher.dispatch(
        AlexPairChanged("c1", Flow.AUDIO, local, remote, CheckState.IN_PROGRESS, None)
    )
    (pair,) = [dispatcher.pairs.index(r, 0).data(ItemRole.VALUE) for r in range(1)]
    assert pair.state is CheckState.IN_PROGRESS and pair.flow is Flow.AUDIO
    assert not pair.selected
    dispatcher.dispatch(
        AlexSelected("c1", Flow.AUDIO, local, remote, PathKind.HOST, 4.0, from_cache=False)
    )
    pair = dispatcher.pairs.index(0, 0).data(ItemRole.VALUE)
    assert pair.selected and pair.state is CheckState.SUCCEEDED and pair.rtt_ms == 4.0
    (entry,) = dispatcher.cache.entries()
    assert (entry.peer, entry.flow, entry.remote) == ("sip:bob@x", Flow.AUDIO, remote)


def test_sip_messages_are_logged_with_their_direction(tmp_path: Path) -> None:
    dispatcher = _dispatcher(tmp_path)
    dispatcher.dispatch(SipMessageLogged(Direction.OUT, "127.0.0.1:5060", "INVITE sip:b@x"))
    dispatcher.dispatch(SipMessageLogged(Direction.IN, "127.0.0.1:5060", "SIP/2.0 200 OK"))
    log = dispatcher.log
    lines = [log.index(r).data(ItemRole.VALUE) for r in range(log.rowCount())]
    assert [(line.direction, line.text) for line in lines] == [
        ("→", "INVITE sip:b@x"),
        ("←", "SIP/2.0 200 OK"),
    ]


def test_a_moved_listen_port_is_said_on_the_status_line(tmp_path: Path) -> None:
    dispatcher = _dispatcher(tmp_path)
    lines: list[str] = []
    dispatcher.status_changed.connect(lines.append)

    dispatcher.dispatch(ListenPortTaken("udp:0.0.0.0:5060", "udp:0.0.0.0:40123"))
    dispatcher.dispatch(UaReady(("udp:0.0.0.0:40123",), str(tmp_path)))
    dispatcher.dispatch(UaReady(("udp:0.0.0.0:5060",), str(tmp_path)))  # after a restart

    assert lines == [
        "Listening on udp:0.0.0.0:40123 (udp:0.0.0.0:5060 is in use by another program)",
        "Listening on udp:0.0.0.0:5060",
    ]


def test_a_lost_network_and_a_refused_move_are_said_on_the_status_line(tmp_path: Path) -> None:
    dispatcher = _dispatcher(tmp_path)
    lines: list[str] = []
    dispatcher.status_changed.connect(lines.append)

    dispatcher.dispatch(NetworkChanged(NetworkState.NO_ROUTE, ()))
    dispatcher.dispatch(NetworkChanged(NetworkState.OTHER_FAMILY, ("fd00:2::2",)))
    dispatcher.dispatch(NetworkChanged(NetworkState.CONNECTED, ("10.0.2.2",)))
    dispatcher.dispatch(CallMoved("c1", MoveOutcome.FOLLOWED, "10.0.2.2", 200))
    dispatcher.dispatch(CallMoved("c1", MoveOutcome.REFUSED, "10.0.2.2", 488, "may drop"))

    assert lines == [
        "No network: calls resume when a connection returns",
        "This network has no route of the address family the phone uses:"
        " calls resume when one returns",
        "Network connected: calls follow",
        "Network changed: may drop",
    ]
