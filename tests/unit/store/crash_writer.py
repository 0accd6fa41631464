"""Writes contacts, call history and ALEX cache entries through the stores until killed.

Run as ``python crash_writer.py DATABASE START COUNT``: for i in START..START+COUNT-1 it
adds contact i, records call i (begin, answered, ended: three writes) and caches pair i,
through the profile's own storage classes on one connection from ``open_database`` (as the
phone does). After each write has returned (committed) it prints one line, ``contact i``,
``call i begun|answered|ended`` or ``cache i``, so its parent knows what was acknowledged
when it kills the process.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alexphone.alex.cache import CacheEntry, CacheKey, Outcome
from alexphone.store.alex_cache import AlexCacheStore
from alexphone.store.contacts import Contact, ContactStore
from alexphone.store.database import open_database
from alexphone.store.history import HistoryDirection, HistoryStore


def say(line: str) -> None:
    """Acknowledge one committed write."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(database: Path, start: int, count: int) -> None:
    """Write ``count`` rounds of contact, call and cache entry, from number ``start``."""
    connection = open_database(database)
    contacts, history = ContactStore(connection), HistoryStore(connection)
    cache = AlexCacheStore(connection)
    say("ready")
    for i in range(start, start + count):
        contacts.add(Contact(f"Contact {i}", f"sip:user{i}@example.com", "x" * (i % 700)))
        say(f"contact {i}")
        row = history.begin(f"call-{i}", HistoryDirection.OUT, f"sip:user{i}@example.com", i)
        say(f"call {i} begun")
        history.answered(row, i + 1.0)
        say(f"call {i} answered")
        history.ended(row, i + 2.0, 200, "bye")
        say(f"call {i} ended")
        key = CacheKey(f"peer-{i}", "m0.1", "10.0.0.1:4000/udp", f"10.0.{i % 250}.2:5000/udp", "n")
        cache.record(CacheEntry(key, Outcome.SUCCEEDED, float(i), float(i), 0.01))
        say(f"cache {i}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
