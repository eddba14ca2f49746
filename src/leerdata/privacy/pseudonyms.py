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


class Pseudonymiser:
    """Pseudonyms for one domain; reuses the keyed HMAC state for speed.

    `many` remembers recent results: an HR export repeats each person once per snapshot
    (5.5M rows, ~130k people at rijk), and DuckDB hands the UDF a few thousand rows at a
    time. The memory is bounded (CACHE_LIMIT entries, then it starts afresh) because
    enrolment ids never repeat.
    """

    CACHE_LIMIT = 262_144

    def __init__(self, secret: bytes, domain: str) -> None:
        self._base = hmac.new(domain_key(secret, domain), digestmod=hashlib.sha256)
        self._cache: dict[str, str] = {}

    @overload
    def one(self, value: str) -> str: ...
    @overload
    def one(self, value: None) -> None: ...
    def one(self, value: str | None) -> str | None:
        if value is None:
            return None
        mac = self._base.copy()
        mac.update(value.encode())
        return mac.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def many(self, values: Iterable[str | None]) -> list[str | None]:
        cache = self._cache
        if len(cache) > self.CACHE_LIMIT:
            cache.clear()
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            hit = cache.get(value)
            if hit is None:
                hit = cache[value] = self.one(value)
            out.append(hit)
        return out
