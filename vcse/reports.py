"""The VCSE activity report: per VCSE organisation, what was referred on and what was delivered.

It mirrors the shape of Sheffield's VCSE activity table (``Provider | Referrals | Male | Female |
Type of support provided``). Definitions, for a period from ``start`` to ``end`` inclusive:

- **Onward referrals**: onward referrals *sent* (``sent_on``) in the period to the organisation,
  whatever happened to them since (withdrawn ones included: they were sent).
- **People**: distinct people among those onward referrals. **Male**, **female** and **other or
  not stated** split the same distinct people by their recorded gender (``Person.gender`` is
  "male", "female", or anything else), so male + female + other = people. In the totals row a
  person referred to two organisations counts once, so its people are not the sum of the rows.
- **Accepted**: of those onward referrals, the ones the organisation ever accepted (answered and
  not declined: now accepted, in progress, closed, or withdrawn after acceptance), whenever it
  answered. **Declined**: declined. **No answer yet**: still new. **Withdrawn before an answer**:
  consent withdrawn before the organisation answered. These four add up to the onward referrals.
- **Contacts**: attended VCSE contacts dated (``on``) in the period, logged by the organisation,
  whichever period their onward referral was sent in. Did-not-attend and cancelled contacts
  deliver no support and are not counted.
- **Support delivered**: for each support type, how many of those attended contacts delivered it
  (the unnest of ``support_types``: a contact that gave debt advice and welfare advice counts
  once for each). The services keep a contact's support types free of repeats, so a conditional
  count per type equals the unnest and needs no raw SQL.

Every VCSE organisation in scope has a row, with zeros when it had no activity. Counts are
aggregated in the database (four queries whatever the number of organisations); Python only
assembles the per-organisation results and sums the rows into the totals.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from pcns.models import Organisation, OrganisationKind
from vcse.codes import OnwardStatus, SupportCategory, VcseAttendance
from vcse.models import OnwardReferral, VcseContact

#: The counts of a row, in table order, with their column headings.
REFERRAL_COUNTS = (
    ("onward_referrals", "Onward referrals"),
    ("people", "People"),
    ("male", "Male"),
    ("female", "Female"),
    ("other", "Other or not stated"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
    ("unanswered", "No answer yet"),
    ("withdrawn_unanswered", "Withdrawn before an answer"),
)
CONTACT_COUNTS = (("contacts", "Contacts attended"),)
#: Counts that are distinct people: the totals row counts them across organisations.
PEOPLE_COUNTS = ("people", "male", "female", "other")


@dataclass(frozen=True)
class ActivityRow:
    """One organisation's figures (``organisation_id`` is None on the totals row)."""

    organisation_id: uuid.UUID | None
    organisation: str
    onward_referrals: int = 0
    people: int = 0
    male: int = 0
    female: int = 0
    other: int = 0
    accepted: int = 0
    declined: int = 0
    unanswered: int = 0
    withdrawn_unanswered: int = 0
    contacts: int = 0
    #: SupportCategory code -> attended contacts that delivered it, every code present, in
    #: SupportCategory order.
    support: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityReport:
    start: dt.date
    end: dt.date
    rows: list[ActivityRow]
    totals: ActivityRow


def tenant_sources(tenant_id: uuid.UUID) -> dict[str, QuerySet]:
    """The querysets the report reads, scoped to one tenant (row-level security backs this)."""
    return {
        "organisations": Organisation.objects.filter(tenant_id=tenant_id,
                                                     kind=OrganisationKind.VCSE),
        "onward_referrals": OnwardReferral.objects.filter(tenant_id=tenant_id),
        "contacts": VcseContact.objects.filter(tenant_id=tenant_id),
    }


def _support_key(code: str) -> str:
    return f"support_{code}"


def _referral_counts() -> dict:
    distinct_people = lambda condition=None: Count(  # noqa: E731
        "person", distinct=True, filter=condition)
    return {
        "onward_referrals": Count("id"),
        "people": distinct_people(),
        "male": distinct_people(Q(person__gender="male")),
        "female": distinct_people(Q(person__gender="female")),
        "other": distinct_people(~Q(person__gender__in=["male", "female"])),
        "accepted": Count("id", filter=Q(responded_on__isnull=False)
                          & ~Q(status=OnwardStatus.DECLINED)),
        "declined": Count("id", filter=Q(status=OnwardStatus.DECLINED)),
        "unanswered": Count("id", filter=Q(status=OnwardStatus.SENT)),
        "withdrawn_unanswered": Count("id", filter=Q(status=OnwardStatus.WITHDRAWN,
                                                     responded_on__isnull=True)),
    }


def _contact_counts() -> dict:
    counts = {"contacts": Count("id")}
    for code in SupportCategory.values:
        counts[_support_key(code)] = Count("id", filter=Q(support_types__contains=[code]))
    return counts


def activity_report(*, organisations: QuerySet[Organisation],
                    onward_referrals: QuerySet[OnwardReferral], contacts: QuerySet[VcseContact],
                    start: dt.date, end: dt.date,
                    organisation_ids: set[uuid.UUID] | None = None) -> ActivityReport:
    """The activity of each VCSE organisation in ``organisations`` (all of them, or those in
    ``organisation_ids``) from ``start`` to ``end`` inclusive. The querysets come already scoped
    to the tenant (``tenant_sources``)."""
    organisations = organisations.filter(kind=OrganisationKind.VCSE)
    if organisation_ids is not None:
        organisations = organisations.filter(pk__in=organisation_ids)
    names = dict(organisations.order_by("name", "pk").values_list("pk", "name"))
    sent = onward_referrals.filter(organisation_id__in=list(names), sent_on__gte=start,
                                   sent_on__lte=end).order_by()
    counts = _referral_counts()
    referral_rows = {row.pop("organisation_id"): row for row in
                     sent.values("organisation_id").annotate(**counts)}
    people_totals = sent.aggregate(**{name: counts[name] for name in PEOPLE_COUNTS})
    delivered = contacts.filter(organisation_id__in=list(names),
                                attendance=VcseAttendance.ATTENDED, on__gte=start,
                                on__lte=end).order_by()
    contact_rows = {row.pop("organisation_id"): row for row in
                    delivered.values("organisation_id").annotate(**_contact_counts())}

    rows = [_row(pk, name, referral_rows.get(pk, {}), contact_rows.get(pk, {}))
            for pk, name in names.items()]
    return ActivityReport(start=start, end=end, rows=rows, totals=_totals(rows, people_totals))


def _row(pk, name: str, referrals: dict, contacts: dict) -> ActivityRow:
    return ActivityRow(
        organisation_id=pk, organisation=name,
        **{key: referrals.get(key, 0) for key, _label in REFERRAL_COUNTS},
        contacts=contacts.get("contacts", 0),
        support={code: contacts.get(_support_key(code), 0) for code in SupportCategory.values},
    )


def _totals(rows: list[ActivityRow], people: dict) -> ActivityRow:
    summed = {key: sum(getattr(row, key) for row in rows)
              for key, _label in REFERRAL_COUNTS + CONTACT_COUNTS if key not in PEOPLE_COUNTS}
    return ActivityRow(
        organisation_id=None, organisation="Total", **summed,
        **{key: people[key] or 0 for key in PEOPLE_COUNTS},
        support={code: sum(row.support[code] for row in rows)
                 for code in SupportCategory.values},
    )


# --------------------------------------------------------------------------- presenting


def support_summary(row: ActivityRow) -> str:
    """The support delivered as the Sheffield table writes it: "18 debt advice, 95 welfare and
    benefits advice" (types with none left out; "None" if nothing was delivered)."""
    parts = [f"{count} {SupportCategory(code).label.lower()}"
             for code, count in row.support.items() if count]
    return ", ".join(parts) or "None"


def csv_header() -> list[str]:
    return (["Provider"] + [label for _key, label in REFERRAL_COUNTS + CONTACT_COUNTS]
            + [label for _code, label in SupportCategory.choices])


def csv_rows(report: ActivityReport) -> list[list]:
    """One row per organisation then the totals row, columns as ``csv_header``."""
    return [
        [row.organisation]
        + [getattr(row, key) for key, _label in REFERRAL_COUNTS + CONTACT_COUNTS]
        + [row.support[code] for code in SupportCategory.values]
        for row in [*report.rows, report.totals]
    ]
