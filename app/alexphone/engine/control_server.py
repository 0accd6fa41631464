"""The control socket of a running phone: ``engine.control`` over a Unix socket (mode 0600).

The socket is ``ctl.sock`` in the profile. It is bound inside a fresh 0700 directory,
made 0600, then renamed into place, so no other user can connect even for an instant.
A socket left behind by a phone that crashed (nobody accepts on it) is replaced; a live
one means another phone already serves the profile (:class:`ControlSocketBusy`). On
Windows a named pipe will take the socket's place (not written yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

from alexphone.core.errors import AlexphoneError
from alexphone.engine.client import PhoneClient
from alexphone.engine.control import MAX_LINE, Control, encode, error_reply
from alexphone.engine.events import Event
from alexphone.store.profile import make_profile

log = logging.getLogger(__name__)

MAX_BACKLOG = 1 << 20  # bytes of events a subscriber may leave unread before it is dropped


class ControlSocketBusy(AlexphoneError):
    """Another running phone already serves this profile's control socket."""


class ControlServer:
    """Serves control requests for one phone on the running event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.control = Control()
        self._client: PhoneClient | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._subscribers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen on the socket; raise ControlSocketBusy if a live phone holds it."""
        make_profile(self.path.parent)
        await self._remove_stale()
        # mode 0700; short names, as a Unix socket's path has at most ~107 bytes
        private = Path(tempfile.mkdtemp(prefix=".c", dir=self.path.parent))
        try:
            staging = private / "s"
            self._server = await asyncio.start_unix_server(
                self._serve, path=staging, limit=MAX_LINE
            )
            os.chmod(staging, 0o600)
            os.replace(staging, self.path)
        finally:
            with contextlib.suppress(OSError):
                os.rmdir(private)

    def attach(self, client: PhoneClient) -> None:
        """Submit later requests' commands through ``client`` (the phone is ready)."""
        self._client = client

    def publish(self, event: Event) -> None:
        """Note ``event`` for status and send it to every ``events`` subscriber."""
        self.control.observe(event)
        if not self._subscribers:
            return
        line = encode(event.to_json())
        for writer in list(self._subscribers):
            if writer.transport.get_write_buffer_size() > MAX_BACKLOG:
                log.warning("control: a subscriber reads too slowly; dropped")
                self._subscribers.discard(writer)
                writer.close()
            else:
                writer.write(line)

    async def close(self) -> None:
        """Stop listening, close every connection and remove the socket file."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _remove_stale(self) -> None:
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlSocketBusy(f"{self.path} exists and is not a socket")
        try:
            _, writer = await asyncio.open_unix_connection(self.path)
        except (ConnectionRefusedError, FileNotFoundError):
            log.info("control: replacing the socket a stopped phone left at %s", self.path)
            self.path.unlink(missing_ok=True)
            return
        writer.close()
        raise ControlSocketBusy(f"another phone serves this profile ({self.path})")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while line := await reader.readline():
                writer.write(encode(self._answer(line, writer)))
                await writer.drain()
        except ValueError:  # the line is longer than MAX_LINE: we cannot find the next one
            writer.write(encode(error_reply(None, f"request longer than {MAX_LINE} bytes")))
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            self._subscribers.discard(writer)
            writer.close()

    def _answer(self, line: bytes, writer: asyncio.StreamWriter) -> dict[str, object]:
        outcome = self.control.receive_line(line)
        client = self._client
        if outcome.commands and client is None:
            return error_reply(outcome.reply.get("id"), "the phone is still starting")
        for command in outcome.commands:
            if client is not None:
                client.submit(command)
        if outcome.subscribe:
            self._subscribers.add(writer)
        return outcome.reply
