"""The calculators of a refresh, in the order they run (see reporting.engine)."""

from reporting.metrics import (
    access,
    activity,
    base,
    caseload,
    equality,
    outcomes,
    referrals,
    spells,
    vcse,
    waits,
)

CALCULATORS = [
    base.prepare,
    spells.compute,
    waits.compute,
    access.compute,
    referrals.compute,
    activity.compute,
    caseload.compute,
    vcse.compute,
    equality.compute,  # reads m_access (access) for EQ01a
    outcomes.compute,  # reads m_spell (spells) for OUT01
]
