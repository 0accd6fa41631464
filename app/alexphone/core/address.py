"""The transport address every layer passes around."""

from __future__ import annotations

Address = tuple[str, int]  # (host: an IP without brackets or zone, or a name; port)
