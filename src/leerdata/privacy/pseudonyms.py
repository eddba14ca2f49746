"""Keyed pseudonyms: HMAC-SHA256 under a per-domain key.

Each output domain (reporting, each research release) derives its own key from the
secret, so pseudonyms of two domains cannot be linked without the secret. Output is the
first 128 bits as 32 hex characters: collision-free at government scale, half the
storage of the full digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import overload

PSEUDONYM_HEX_CHARS = 32
REPORTING_DOMAIN = "reporting"


def domain_key(secret: bytes, domain: str) -> bytes:
    if not domain:
        raise ValueError("a pseudonym domain must not be empty")
    return hmac.new(secret, b"leerdata-domain:" + domain.encode(), hashlib.sha256).digest()


def hmac_pads(secret: bytes, domain: str) -> tuple[bytes, bytes]:
    """The domain key padded to a SHA-256 block and XORed with ipad and opad (RFC 2104):
    HMAC(key, message) = SHA-256(outer || SHA-256(inner || message)). The dbt macro
    `pseudonymise` computes that in DuckDB from these two blocks."""
    key = domain_key(secret, domain)
    block = hashlib.sha256().block_size
    assert len(key) <= block, "a domain key is one SHA-256 digest, shorter than a block"
    padded = key.ljust(block, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


class Pseudonymiser:
    """Pseudonyms for one domain: HMAC-SHA256 (RFC 2104) from its two precomputed states.

    `hmac.HMAC.copy()` per value cost ~5 us at rijk's machine; copying the inner and outer
    SHA-256 states directly ~2.7 us, the same digest (10.6 million values in a full rijk
    build: the enrolment id and the personnel number of each enrolment).

    `many` remembers recent results in two generations: an HR export repeats each person
    once per snapshot (5.5M rows, ~130k people at rijk), an enrolment export each person
    once per enrolment, and DuckDB hands the UDF a few thousand rows at a time. When the
    newer generation is full it becomes the older one; a value found in the older one
    moves back. Enrolment ids, which never repeat, pass through and are forgotten, while
    the people they come with stay. Memory is bounded by 2 x GENERATION_SIZE entries.
    """

    GENERATION_SIZE = 262_144

    def __init__(self, secret: bytes, domain: str) -> None:
        inner, outer = hmac_pads(secret, domain)
        self._inner = hashlib.sha256(inner)
        self._outer = hashlib.sha256(outer)
        self._recent: dict[str, str] = {}
        self._older: dict[str, str] = {}

    @overload
    def one(self, value: str) -> str: ...
    @overload
    def one(self, value: None) -> None: ...
    def one(self, value: str | None) -> str | None:
        if value is None:
            return None
        inner = self._inner.copy()
        inner.update(value.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def many(self, values: Iterable[str | None]) -> list[str | None]:
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            hit = self._recent.get(value)
            if hit is None:
                hit = self._older.get(value) or self.one(value)
                if len(self._recent) >= self.GENERATION_SIZE:
                    self._older, self._recent = self._recent, {}
                self._recent[value] = hit
            out.append(hit)
        return out
