"""Calls as the user sees them: state, remote, timer, codec, path, encryption and live stats.

Fed by ``call.state``, ``call.media`` and ``call.stats`` (docs/ARCHITECTURE.md "Events");
the last two fill in once the media engine reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from alexphone.engine.events import (
    CallChanged,
    CallMode,
    CallState,
    Direction,
    Encryption,
    PathKind,
)
from alexphone.gui.roles import ItemRole

Index = QModelIndex | QPersistentModelIndex

STATE_WORDS = {
    CallState.CALLING: "Calling…",
    CallState.RINGING: "Ringing…",
    CallState.EARLY: "Ringing (early media)…",
    CallState.CONFIRMED: "Connected",
    CallState.HELD: "On hold",
    CallState.ENDED: "Ended",
}
PATH_WORDS = {
    PathKind.HOST: "direct on your LAN",
    PathKind.SRFLX: "through your router's public address",
    PathKind.PRFLX: "through a router's public address (found while probing)",
    PathKind.RELAY: "relayed through a TURN server",
}

SUITE_WORDS = {  # RFC 4568 §6.2, RFC 7714 §14.2, said for people
    "AES_CM_128_HMAC_SHA1_80": "AES-128, 80-bit authentication",
    "AES_CM_128_HMAC_SHA1_32": "AES-128, 32-bit authentication",
    "AEAD_AES_128_GCM": "AES-128-GCM",
}


@dataclass(frozen=True, slots=True)
class CallInfo:
    """Everything known about one call; replaced as a whole on each update."""

    call_id: str
    direction: Direction
    remote: str
    state: CallState
    started: float
    code: int | None = None
    reason: str = ""
    connected_at: float | None = None
    ended_at: float | None = None
    codec: str = ""
    local_media: str = ""
    remote_media: str = ""
    path: PathKind | None = None  # None until media is up
    encryption: Encryption | None = None  # None until media is up
    suite: str | None = None  # the SRTP crypto suite
    sent: int = 0
    received: int = 0
    lost: int = 0
    jitter_ms: float | None = None
    rtt_ms: float | None = None
    mode: CallMode = CallMode.ACTIVE  # we held it, or merged it into the conference
    name: str = ""  # who the other party is, for people ("" when only the address is known)

    @property
    def caller(self) -> str:
        """Return the other party's name, or its address when no name is known."""
        return self.name or self.remote

    @property
    def active(self) -> bool:
        """Tell whether the call has not ended."""
        return self.state is not CallState.ENDED

    @property
    def path_words(self) -> str:
        """Return the media path in plain words ("" before media is up)."""
        return PATH_WORDS[self.path] if self.path is not None else ""

    @property
    def security_words(self) -> str:
        """Return whether the audio is encrypted, in plain words ("" before media is up)."""
        if self.encryption is None:
            return ""
        if self.encryption is Encryption.NONE:
            return "Not encrypted"
        if self.encryption is Encryption.DTLS_SRTP and self.suite is None:
            return "Securing the audio (DTLS handshake)\N{HORIZONTAL ELLIPSIS}"
        suite = SUITE_WORDS.get(self.suite or "", self.suite or "SRTP")
        if self.encryption is Encryption.DTLS_SRTP:
            return f"\N{LOCK} Encrypted ({suite}); keys verified by DTLS fingerprint"
        return f"\N{LOCK} Encrypted ({suite}); keys exchanged in the call setup"

    def state_words(self) -> str:
        """Return the state for people, with the reason when it ended badly."""
        words = STATE_WORDS[self.state]
        if self.state is CallState.CONFIRMED and self.mode is CallMode.CONFERENCE:
            return "In conference"
        if self.state is CallState.ENDED and self.code is not None and self.code >= 300:
            detail = self.reason or f"code {self.code}"
            return f"{words}: {detail} ({self.code})"
        return words

    def elapsed(self, now: float) -> float:
        """Return seconds connected so far (0 before answer; frozen once ended)."""
        if self.connected_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.connected_at)


def _display_name_only(remote: str, display_name: str) -> str:
    del remote
    return display_name


class CallModel(QAbstractListModel):
    """One row per call of this session, newest last.

    ``namer(remote, display_name)`` names the other party (gui/caller_name.py); it is
    asked again on each ``call.state``, so a contact saved during the call shows at once.
    """

    def __init__(self, namer: Callable[[str, str], str] = _display_name_only) -> None:
        super().__init__()
        self._namer = namer
        self._rows: list[CallInfo] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of calls."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return remote, state words or the CallInfo for ``index``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        call = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return call.caller
        if role == ItemRole.SUBTITLE:
            return call.state_words()
        if role == ItemRole.BADGE:
            return call.direction.value
        if role == ItemRole.VALUE:
            return call
        return None

    def find(self, call_id: str) -> CallInfo | None:
        """Return the call with ``call_id``, or None."""
        return next((c for c in self._rows if c.call_id == call_id), None)

    def active_calls(self) -> list[CallInfo]:
        """Return the calls that have not ended."""
        return [c for c in self._rows if c.active]

    def apply_state(self, event: CallChanged, now: float) -> CallInfo:
        """Record a ``call.state`` event at time ``now``; return the updated call."""
        known = self.find(event.call_id) if event.call_id else None
        name = self._namer(event.remote, event.display_name)
        name = "" if name == event.remote else name
        if known is None:
            call = CallInfo(
                event.call_id, event.direction, event.remote, event.state, now, name=name
            )
        else:
            call = replace(known, state=event.state, name=name)
        if event.state is CallState.CONFIRMED and call.connected_at is None:
            call = replace(call, connected_at=now)
        if event.state is CallState.ENDED:
            call = replace(call, ended_at=now, code=event.code, reason=event.reason)
        return self._put(known, call)

    def apply_media(
        self,
        call_id: str,
        codec: str,
        local: str,
        remote: str,
        path: PathKind,
        encryption: Encryption = Encryption.NONE,
        suite: str | None = None,
    ) -> CallInfo | None:
        """Record a ``call.media`` event; None if the call is unknown."""
        known = self.find(call_id)
        if known is None:
            return None
        updated = replace(
            known, codec=codec, local_media=local, remote_media=remote, path=path,
            encryption=encryption, suite=suite,
        )  # fmt: skip
        return self._put(known, updated)

    def apply_stats(
        self,
        call_id: str,
        sent: int,
        received: int,
        lost: int,
        jitter_ms: float | None,
        rtt_ms: float | None,
    ) -> CallInfo | None:
        """Record a ``call.stats`` event; None if the call is unknown."""
        known = self.find(call_id)
        if known is None:
            return None
        updated = replace(
            known, sent=sent, received=received, lost=lost, jitter_ms=jitter_ms, rtt_ms=rtt_ms
        )
        return self._put(known, updated)

    def apply_mode(self, call_id: str, mode: CallMode) -> CallInfo | None:
        """Record a ``call.mode`` event; None if the call is unknown."""
        known = self.find(call_id)
        return None if known is None else self._put(known, replace(known, mode=mode))

    def prune_ended(self) -> None:
        """Drop the calls that have ended."""
        for row in range(len(self._rows) - 1, -1, -1):
            if not self._rows[row].active:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()

    def _put(self, known: CallInfo | None, call: CallInfo) -> CallInfo:
        if known is None:
            row = len(self._rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(call)
            self.endInsertRows()
        else:
            row = self._rows.index(known)
            self._rows[row] = call
            self.dataChanged.emit(self.index(row), self.index(row))
        return call
