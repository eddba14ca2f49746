"""Dutch name and place pools, built once per run with Faker and sampled with numpy.

Faker is only called a few thousand times here; every per-row choice at scale is a
numpy index into these pools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

# Prefixes (tussenvoegsels) with rough frequencies among Dutch surnames.
NAME_PREFIXES = (
    "van",
    "de",
    "van der",
    "van den",
    "van de",
    "den",
    "ter",
    "ten",
    "van 't",
    "in 't",
)
PREFIX_WEIGHTS = (0.30, 0.28, 0.12, 0.10, 0.08, 0.03, 0.03, 0.03, 0.02, 0.01)
COMMON_CITIES = (
    "Den Haag",
    "Utrecht",
    "Amsterdam",
    "Rotterdam",
    "Zwolle",
    "Amersfoort",
    "Groningen",
    "Eindhoven",
    "Arnhem",
    "Leiden",
)


@dataclass(frozen=True)
class NamePools:
    male_first: np.ndarray
    female_first: np.ndarray
    last: np.ndarray
    places: np.ndarray
    companies: np.ndarray


def _unique(values: list[str], limit: int) -> np.ndarray:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
        if len(seen) >= limit:
            break
    return np.array(sorted(seen), dtype=object)


def build_pools(seed: int) -> NamePools:
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    # Single-word surnames only: Faker's list holds historical names ("… van Wessex")
    # whose prefixes we would double; our own prefixes are added per person.
    last = [
        name
        for name in (fake.last_name() for _ in range(6000))
        if name.isalpha() and name[0].isupper()
    ]
    places = [fake.city() for _ in range(3000)]
    companies = [fake.last_name() for _ in range(600)]
    return NamePools(
        male_first=_unique([fake.first_name_male() for _ in range(2000)], 400),
        female_first=_unique([fake.first_name_female() for _ in range(2000)], 400),
        last=_unique(last, 2000),
        places=_unique([p for p in places if "," not in p], 1500),
        companies=_unique([c for c in companies if c.isalpha()], 400),
    )
