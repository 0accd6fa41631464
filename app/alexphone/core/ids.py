"""Identifiers (tags, branches, Call-IDs) drawn from an injected random source."""

from __future__ import annotations

import random
import secrets
import string

BRANCH_MAGIC = "z9hG4bK"  # RFC 3261 §8.1.1.7
_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes protocol identifiers; inject a seeded ``random.Random`` in tests."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng: random.Random = rng if rng is not None else secrets.SystemRandom()

    def token(self, length: int = 16) -> str:
        """Return a random alphanumeric token."""
        return "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def tag(self) -> str:
        """Return a From/To tag (RFC 3261 §19.3: at least 32 bits of randomness)."""
        return self.token(10)

    def branch(self) -> str:
        """Return a Via branch carrying the RFC 3261 magic cookie."""
        return BRANCH_MAGIC + self.token(16)

    def call_id(self, host: str) -> str:
        """Return a globally unique Call-ID for a dialog started on ``host``."""
        return f"{self.token(20)}@{host}"

    def cseq(self) -> int:
        """Return an initial CSeq number (RFC 3261 §8.1.1.5: below 2**31)."""
        return self._rng.randint(1, 2**15)
