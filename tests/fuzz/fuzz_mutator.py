"""A structure-aware mutator: byte flips, truncation, splicing, line games, huge numbers, unicode.

Seeded from real messages; every choice comes from one ``random.Random`` so a run is
reproducible from its seed and the input's index.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

_TOKENS = (
    b"\r\n", b"\r\n ", b"\r\n\t", b"\n", b"\r", b"\r\r\n", b"\r\n\r\n", b":", b";", b",", b"=",
    b'"', b"\\", b"<", b">", b"%", b"%0", b"%zz", b"@", b"[", b"]", b"[::1]", b"/", b"?", b"&",
    b"\x00", b"\xff", b"\xc3(", b"\xed\xa0\x80", "é".encode(), "\u2028".encode(), "😀".encode(),
    b"\xef\xbb\xbf", b" ", b"\t", b"sip:", b"sips:", b"tel:", b"SIP/2.0", b"SIP/3.0", b";branch=",
    b";tag=", b";rport", b";received=", b"=\r\n", b"a=crypto:", b"inline:", b"|", b"m=", b"c=",
)  # fmt: skip
_NUMBERS = (
    b"0", b"-1", b"-0", b"+1", b"1e9", b"0x10", b"65535", b"65536", b"2147483647", b"2147483648",
    b"4294967295", b"4294967296", b"18446744073709551615", b"18446744073709551616",
    b"99999999999999999999999999999999999999", b"9" * 5000, b"1.5", b"\xd9\xa3",
)  # fmt: skip
_DIGITS = re.compile(rb"\d+")
_WORDS = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF)


class Mutator:
    """Draws mutated inputs from seeds; text seeds get line-level mutations too."""

    def __init__(self, seeds: Sequence[bytes], rng: random.Random, *, text: bool) -> None:
        self.seeds = list(seeds)
        self.rng = rng
        ops: list[Callable[[bytearray], bytearray]] = [
            self._flip, self._set_byte, self._insert_token, self._delete, self._truncate,
            self._splice, self._duplicate_range, self._word,
        ]  # fmt: skip
        if text:
            ops += [
                self._huge_number, self._huge_number, self._duplicate_line, self._drop_line,
                self._swap_lines, self._crlf_game, self._insert_token, self._repeat_token,
            ]  # fmt: skip
        self.ops = ops

    def mutate(self) -> bytes:
        """One input: a seed with 1-6 mutations (a few seeds pass unmutated)."""
        data = bytearray(self.rng.choice(self.seeds))
        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2, 3, 4, 6))):
            data = self.rng.choice(self.ops)(data)
        return bytes(data)

    def _at(self, data: bytearray) -> int:
        return self.rng.randrange(len(data) + 1)

    def _flip(self, data: bytearray) -> bytearray:
        if data:
            at = self.rng.randrange(len(data))
            data[at] ^= 1 << self.rng.randrange(8)
        return data

    def _set_byte(self, data: bytearray) -> bytearray:
        if data:
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        return data

    def _insert_token(self, data: bytearray) -> bytearray:
        at = self._at(data)
        data[at:at] = self.rng.choice(_TOKENS)
        return data

    def _repeat_token(self, data: bytearray) -> bytearray:
        at = self._at(data)
        data[at:at] = self.rng.choice(_TOKENS) * self.rng.choice((2, 16, 300, 5000))
        return data

    def _delete(self, data: bytearray) -> bytearray:
        at = self._at(data)
        del data[at : at + self.rng.randint(1, 32)]
        return data

    def _truncate(self, data: bytearray) -> bytearray:
        del data[self._at(data) :]
        return data

    def _splice(self, data: bytearray) -> bytearray:
        other = self.rng.choice(self.seeds)
        return data[: self._at(data)] + other[self.rng.randrange(len(other) + 1) :]

    def _duplicate_range(self, data: bytearray) -> bytearray:
        at = self._at(data)
        end = min(len(data), at + self.rng.randint(1, 128))
        data[at:at] = data[at:end] * self.rng.choice((1, 2, 40))
        return data

    def _word(self, data: bytearray) -> bytearray:
        """Set a 16- or 32-bit field to a boundary value (binary length and count fields)."""
        if len(data) >= 4:
            at = self.rng.randrange(len(data) - 3)
            size = self.rng.choice((1, 2, 4))
            value = self.rng.choice(_WORDS) if size < 4 else self.rng.choice((0, 2**32 - 1, 2**31))
            data[at : at + size] = (value & (256**size - 1)).to_bytes(size, "big")
        return data

    def _huge_number(self, data: bytearray) -> bytearray:
        numbers = list(_DIGITS.finditer(data))
        if not numbers:
            return self._insert_token(data)
        match = self.rng.choice(numbers)
        data[match.start() : match.end()] = self.rng.choice(_NUMBERS)
        return data

    def _lines(self, data: bytearray) -> list[bytes]:
        return bytes(data).split(b"\n")

    def _duplicate_line(self, data: bytearray) -> bytearray:
        lines = self._lines(data)
        at = self.rng.randrange(len(lines))
        lines[at:at] = [lines[at]] * self.rng.choice((1, 1, 2, 70))
        return bytearray(b"\n".join(lines))

    def _drop_line(self, data: bytearray) -> bytearray:
        lines = self._lines(data)
        del lines[self.rng.randrange(len(lines))]
        return bytearray(b"\n".join(lines))

    def _swap_lines(self, data: bytearray) -> bytearray:
        lines = self._lines(data)
        a, b = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return bytearray(b"\n".join(lines))

    def _crlf_game(self, data: bytearray) -> bytearray:
        old, new = self.rng.choice(
            ((b"\r\n", b"\n"), (b"\r\n", b"\r"), (b"\r\n", b"\r\r\n"), (b"\r\n", b"\r\n "),
             (b"\r\n\r\n", b"\r\n"), (b": ", b":\r\n "), (b" ", b"\r\n "), (b"\r\n", b"\n\r"))
        )  # fmt: skip
        return bytearray(bytes(data).replace(old, new, self.rng.choice((1, -1))))
