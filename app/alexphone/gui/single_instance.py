"""One window per profile: a second launch hands its ``sip:`` URI to the first and exits.

The first launch listens on a local socket named after a hash of the
profile path (and the user, so two accounts on one machine never meet).
A later launch connects, writes one line — the URI to dial, or an empty
line to just bring the window forward — and quits. A socket file left by
a crashed instance answers no connection; it is removed before listening.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 1000
MAX_LINE = 4096


def server_name(profile: Path) -> str:
    """Return the local-socket name for ``profile`` (stable across launches)."""
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}\0{profile.resolve()}".encode()).hexdigest()[:20]
    return f"alexphone-{digest}"


def hand_over(profile: Path, uri: str | None, timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Give ``uri`` (or just "show yourself") to a running instance; False if none answers."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(profile))
    if not socket.waitForConnected(timeout_ms):
        return False
    line = (uri or "").replace("\n", " ").strip()
    socket.write(f"{line}\n".encode()[:MAX_LINE])
    socket.flush()
    delivered = socket.waitForBytesWritten(timeout_ms) or socket.bytesToWrite() == 0
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return delivered


class InstanceServer(QObject):
    """Listens for later launches of the same profile.

    Signals:
        launched(str): another launch asked to be shown; the URI it was given, or "".
    """

    launched = Signal(str)

    def __init__(self, profile: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(profile)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening, replacing a stale socket left by a crash; False if that fails."""
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # nobody answered hand_over(): the file is stale
        return self._server.listen(self.name)

    def close(self) -> None:
        """Stop listening, drop connections still open, and remove the socket."""
        self._server.close()
        for socket in list(self._buffers):  # detach first: a dying socket still signals
            if shiboken6.isValid(socket):
                socket.readyRead.disconnect()
                socket.disconnected.disconnect()
                socket.abort()
                socket.deleteLater()
        self._buffers.clear()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._closed(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        while b"\n" in data:
            line, data = data.split(b"\n", 1)
            self.launched.emit(line.decode("utf-8", "replace").strip())
        self._buffers[socket] = data[:MAX_LINE]

    def _closed(self, socket: QLocalSocket) -> None:
        if shiboken6.isValid(socket) and socket.bytesAvailable():
            self._read(socket)
        self._buffers.pop(socket, None)
