"""Build small datasets for import tests: rows as dicts, read through the real CSV reader."""

from __future__ import annotations

import io

from pcns.dataset import all_kinds
from pcns.dataset.engine import Row
from pcns.dataset.files import csv_text, read_csv


def tables(**files: list[dict[str, str]]) -> dict[str, list[Row]]:
    """kind name -> rows, each file written as CSV text and read back as an upload would be."""
    by_name = {kind.name: kind for kind in all_kinds()}
    out = {}
    for name, rows in files.items():
        kind = by_name[name]
        header = list(dict.fromkeys(key for row in rows for key in row))
        text = csv_text(header, [{key: row.get(key, "") for key in header} for row in rows])
        out[name] = read_csv(kind, io.StringIO(text, newline=""))
    return out


def person_row(id: str, nhs: str, **extra) -> dict[str, str]:
    return {"id": id, "nhs_number": nhs, "given_name": "Ada", "family_name": "Lovelace",
            "date_of_birth": "1980-04-02", "sex": "female", "gender": "female",
            "ethnicity": "A", "postcode": "", **extra}


def referral_row(id: str, person: str, team, **extra) -> dict[str, str]:
    return {"id": id, "person_id": person, "team_id": str(team.pk), "source": "gp",
            "received_on": "2021-03-01", "status": "awaiting_triage", **extra}


def contact_row(id: str, referral: str, team, staff, **extra) -> dict[str, str]:
    return {"id": id, "referral_id": referral, "team_id": str(team.pk),
            "staff_id": str(staff.membership.pk), "on": "2021-03-05", "mode": "telephone",
            "attendance": "attended", "purpose": "assessment", **extra}
