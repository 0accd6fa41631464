"""The window's data side, wired by the composition root: the stores it reads, one model
per list, and the one dispatcher that feeds them from engine events.

The window only lays these out and turns user actions into commands; the GUI writes
contacts, never the call history (the engine keeps that).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from alexphone.gui.alex_model import CacheModel, PairModel
from alexphone.gui.call_model import CallModel
from alexphone.gui.caller_name import CallerNames
from alexphone.gui.contact_model import ContactModel
from alexphone.gui.dispatcher import EventDispatcher
from alexphone.gui.history_model import HistoryModel
from alexphone.gui.peer_model import PeerModel
from alexphone.gui.presence import Presence
from alexphone.gui.sip_log_model import SipLogModel
from alexphone.store.contacts import ContactStore
from alexphone.store.history import HistoryStore


@dataclass(slots=True)
class WindowModels:
    """Every model the window shows and the dispatcher that keeps them current."""

    contact_store: ContactStore
    history_store: HistoryStore
    calls: CallModel
    peers: PeerModel
    pairs: PairModel
    cache: CacheModel
    log: SipLogModel
    history: HistoryModel
    contacts: ContactModel
    dispatcher: EventDispatcher

    @classmethod
    def build(
        cls, database: sqlite3.Connection, clock: Callable[[], float] = time.time
    ) -> WindowModels:
        """Return the models over the profile's ``database``, ages and times from ``clock``."""
        history_store = HistoryStore(database)
        contact_store = ContactStore(database)
        peers, pairs, cache = PeerModel(), PairModel(), CacheModel(clock)
        contacts = ContactModel(contact_store, Presence(peers, cache).badge)
        names = CallerNames(contacts, peers)
        calls, log, history = (
            CallModel(names),
            SipLogModel(),
            HistoryModel(history_store, clock, names),
        )
        for signal in (peers.rowsInserted, peers.rowsRemoved, cache.dataChanged):
            signal.connect(contacts.presence_changed)
        dispatcher = EventDispatcher(calls, peers, pairs, cache, log, history, clock)
        return cls(
            contact_store,
            history_store,
            calls,
            peers,
            pairs,
            cache,
            log,
            history,
            contacts,
            dispatcher,
        )
