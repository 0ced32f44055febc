"""Synthetic people: demographics shaped like a community mental health caseload.

About 60% female; ages 18 to 90 with the largest group 25-44 and a few under-18s (whom the
metrics exclude); about 20% from minority ethnic groups (NHS ethnic category codes); more people
from the most deprived areas than the least; 1% without a traced NHS number.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from pcns.synthetic import names
from pcns.synthetic.ids import Ids
from pcns.synthetic.places import Place
from pcns.synthetic.randomness import Calendar, Picker, pick

N = "\\N"  # NULL in COPY text

#: (sex, gender) pairs.
SEX_GENDER = Picker({
    ("female", "female"): 57.5, ("male", "male"): 37.5, ("female", "not_stated"): 1.5,
    ("male", "not_stated"): 1.0, ("female", "non_binary"): 0.6, ("male", "non_binary"): 0.4,
    ("female", "male"): 0.2, ("male", "female"): 0.3, ("not_known", "not_known"): 0.7,
    ("indeterminate", "other"): 0.3,
})
#: Age bands at the end of the period: (youngest, oldest) -> weight.
AGE_BAND = Picker({(16, 17): 1.5, (18, 24): 14, (25, 44): 42, (45, 64): 30, (65, 90): 12.5})
#: NHS Data Dictionary ethnic category: about 20% Mixed, Asian, Black or other groups.
ETHNICITY = Picker({
    "A": 68, "B": 1, "C": 5, "D": 1, "E": 0.5, "F": 0.8, "G": 0.7, "H": 3, "J": 4, "K": 1.2,
    "L": 1.8, "M": 1.5, "N": 2.2, "P": 0.8, "R": 0.5, "S": 2, "Z": 4.5, "99": 1.5,
})
#: Deprivation decile of where people live (1 = most deprived tenth of areas).
IMD_DECILE = Picker({1: 16, 2: 14, 3: 12, 4: 11, 5: 10, 6: 9, 7: 8, 8: 7, 9: 7, 10: 6})
CONTACT_METHOD = Picker({"telephone": 70, "text": 18, "email": 9, "letter": 3})
MISSING_NHS_REASON = Picker({"not_yet_traced": 50, "not_registered": 25,
                             "overseas_visitor": 15, "other": 10})


class PersonRec:
    """One person, kept in memory while their tenant is generated (onward referrals copy their
    contact details into the snapshot shared with a partner)."""

    __slots__ = ("address", "contact_method", "created", "dob", "email", "ethnicity", "family",
                 "gender", "given", "history", "home_team", "id", "imd", "language", "lsoa",
                 "missing", "nhs", "phone", "postcode", "practice", "sex")

    def __init__(self) -> None:
        self.history: list = []  # their referrals so far (journeys.py)


def make_person(place: Place, *, cal: Calendar, rng: random.Random, ids: Ids,
                nhs: Iterator[str], serial: int) -> PersonRec:
    p = PersonRec()
    p.id = ids.next()
    p.nhs = next(nhs) if rng.random() >= 0.01 else ""
    p.missing = "" if p.nhs else MISSING_NHS_REASON(rng)
    p.sex, p.gender = SEX_GENDER(rng)
    if p.sex == "female":
        p.given = pick(rng, names.FEMALE_GIVEN)
    elif p.sex == "male":
        p.given = pick(rng, names.MALE_GIVEN)
    else:
        p.given = pick(rng, names.NEUTRAL_GIVEN)
    p.family = pick(rng, names.FAMILY)
    youngest, oldest = AGE_BAND(rng)
    age_days = round((youngest + rng.random() * (oldest + 1 - youngest)) * 365.25)
    p.dob = dt.date.fromordinal(cal.last - age_days).isoformat()
    p.ethnicity = ETHNICITY(rng)
    p.postcode, p.lsoa, p.imd = _home(place, rng)
    if rng.random() < 0.97:
        p.practice, p.home_team = pick(rng, place.practices)
    else:  # not registered with a practice
        p.practice, p.home_team = None, pick(rng, place.pcn_teams)
    p.language = pick(rng, names.LANGUAGES) if rng.random() < 0.025 else ""
    p.phone = f"07700 9{rng.randrange(100000):05d}"
    p.email = (f"{p.given}.{p.family}{serial}@example.com".lower()
               if rng.random() < 0.7 else "")
    p.address = (f"{rng.randint(1, 240)} {pick(rng, names.STREETS)} "
                 f"{pick(rng, names.STREET_KINDS)}")
    p.contact_method = CONTACT_METHOD(rng)
    if p.contact_method == "email" and not p.email:
        p.contact_method = "telephone"
    return p


def _home(place: Place, rng: random.Random) -> tuple[str, str, int | None]:
    """A postcode, its LSOA and decile (every decile has postcodes: places.py); 2% of people
    have no postcode recorded."""
    if rng.random() < 0.02:
        return "", "", None
    decile = IMD_DECILE(rng)
    postcode, lsoa = pick(rng, place.postcodes[decile])
    return postcode, lsoa, decile


def person_row(p: PersonRec, tenant: str) -> str:
    """One ``referrals_person`` row in PERSON_COLUMNS order."""
    imd = N if p.imd is None else p.imd
    interpreter = "t" if p.language else "f"
    return (f"{p.id}\t{tenant}\t{p.nhs}\t{p.missing}\t{p.given}\t{p.family}\t{p.dob}\t"
            f"{p.sex}\t{p.gender}\t{p.ethnicity}\t{p.postcode}\t{p.lsoa}\t{imd}\t"
            f"{p.practice or N}\t{interpreter}\t{p.language}\t{p.phone}\t{p.email}\t"
            f"{p.address}\t{p.contact_method}\t{N}\t{p.created}\t{p.created}\t1\n")


PERSON_COLUMNS = (
    "id", "tenant_id", "nhs_number", "nhs_number_missing_reason", "given_name", "family_name",
    "date_of_birth", "sex", "gender", "ethnicity", "postcode", "lsoa_code", "imd_decile",
    "registered_practice_id", "interpreter_needed", "language", "phone", "email", "address",
    "preferred_contact_method", "merged_into_id", "created_at", "updated_at", "version",
)
