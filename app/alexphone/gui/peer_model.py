"""LAN peers from ``peer.added``/``peer.removed`` (docs/ARCHITECTURE.md "Discovery")."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from alexphone.engine.events import PeerKind
from alexphone.gui.roles import ItemRole

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Peer:
    """A phone or proxy announcing itself on the LAN (names from mDNS are unverified)."""

    name: str
    uri: str
    addresses: tuple[str, ...] = ()
    alex: bool = False
    role: PeerKind = PeerKind.UA

    @property
    def hosts(self) -> frozenset[str]:
        """Return the bare host addresses (port and brackets removed) for presence lookup."""
        return frozenset(bare_host(address) for address in self.addresses)


def bare_host(address: str) -> str:
    """Return the host of "h", "h:port", "[v6]:port" or "v6" without port or brackets."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


class PeerModel(QAbstractListModel):
    """One row per peer, keyed by its SIP URI; updates replace the row in place."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Peer] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of peers."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return name, URI + addresses, ALEX badge or the Peer for ``index``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        peer = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return peer.name
        if role == ItemRole.SUBTITLE:
            where = ", ".join(peer.addresses)
            return f"{peer.uri}  ·  {where}" if where else peer.uri
        if role == ItemRole.BADGE:
            badge = "proxy" if peer.role is not PeerKind.UA else ""
            return " ".join(b for b in (badge, "ALEX" if peer.alex else "") if b)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{peer.name} (name from the LAN, unverified)\n{peer.uri}"
        if role == ItemRole.VALUE:
            return peer
        return None

    def peer(self, row: int) -> Peer:
        """Return the peer in ``row``."""
        return self._rows[row]

    def peers(self) -> tuple[Peer, ...]:
        """Return every peer listed."""
        return tuple(self._rows)

    def add(self, peer: Peer) -> None:
        """List ``peer`` or refresh the row with the same URI."""
        for row, known in enumerate(self._rows):
            if known.uri == peer.uri:
                self._rows[row] = peer
                self.dataChanged.emit(self.index(row), self.index(row))
                return
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(peer)
        self.endInsertRows()

    def remove(self, uri: str) -> None:
        """Drop the peer with ``uri`` if it is listed."""
        for row, known in enumerate(self._rows):
            if known.uri == uri:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                return
