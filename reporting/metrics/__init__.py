"""The calculators of a refresh, in the order they run (see reporting.engine)."""

from reporting.metrics import access, base, spells, waits

CALCULATORS = [
    base.prepare,
    spells.compute,
    waits.compute,
    access.compute,
]
