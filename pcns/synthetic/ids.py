"""Row ids and NHS numbers for synthetic records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

from referrals.validators import nhs_number_check_digit

#: Synthetic NHS numbers use the range set aside for testing, which is never issued to anyone.
NHS_TEST_PREFIX = "999"
_NHS_RANGE = 10**6  # the six digits after the prefix


class Ids:
    """UUIDs for one table in one run: random in the first half, counting up in the second.

    Rows arrive at the end of the primary key index instead of at random places in it, which
    keeps COPY into a table of millions of rows fast. The random half differs on every run, so
    two runs never collide; ids are the one thing a seed does not reproduce. The version nibble
    says 8 (RFC 9562, vendor-specific layout).
    """

    __slots__ = ("_count", "_prefix")

    def __init__(self) -> None:
        h = uuid.uuid4().hex
        self._prefix = f"{h[:8]}-{h[8:12]}-8{h[13:16]}-a{h[17:20]}-"
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count:012x}"


def nhs_numbers(rng: random.Random) -> Iterator[str]:
    """Distinct valid NHS numbers starting 999, in an order that looks random.

    Walks the million six-digit middles with a step coprime to a million (so each comes up
    once) and skips those that no Modulus 11 check digit can complete (about 1 in 11).
    """
    step = rng.randrange(100_001, 999_999, 2)
    while step % 5 == 0:
        step += 2
    start = rng.randrange(_NHS_RANGE)
    for n in range(_NHS_RANGE):
        nine = f"{NHS_TEST_PREFIX}{(start + n * step) % _NHS_RANGE:06d}"
        check = nhs_number_check_digit(nine)
        if check is not None:
            yield f"{nine}{check}"


#: How many people one tenant can have with a synthetic NHS number (about 10/11 of a million).
MAX_PEOPLE_PER_TENANT = 900_000
