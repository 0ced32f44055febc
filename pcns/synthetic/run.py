"""One run of the generator: checks, then each tenant's tables in turn, in one transaction."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import Model

from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
)
from pcns.db import owner_connection
from pcns.synthetic import care, journeys, partners, people
from pcns.synthetic.ids import Ids, nhs_numbers
from pcns.synthetic.loader import (
    GenerationError,
    Loader,
    Timings,
    analyze,
    check_columns,
    lock_tables,
    restore_foreign_keys,
    restore_indexes,
    set_aside_foreign_keys,
    set_aside_indexes,
)
from pcns.synthetic.options import Options
from pcns.synthetic.places import Place, build_place
from pcns.synthetic.randomness import Calendar, rng_for
from referrals.models import JointWorker, Person, Referral
from vcse.models import Consent, OnwardReferral, VcseContact

#: The tables written with COPY, in the order they are filled, with their columns.
COPIED = [
    (Person, people.PERSON_COLUMNS),
    (Referral, journeys.REFERRAL_COLUMNS),
    (JointWorker, journeys.JOINT_WORKER_COLUMNS),
    (Contact, care.CONTACT_COLUMNS),
    (Assessment, care.ASSESSMENT_COLUMNS),
    (CarePlan, care.CARE_PLAN_COLUMNS),
    (CarePlanVersion, care.CARE_PLAN_VERSION_COLUMNS),
    (Intervention, care.INTERVENTION_COLUMNS),
    (OutcomeMeasure, care.OUTCOME_COLUMNS),
    (OnwardReferral, partners.ONWARD_COLUMNS),
    (Consent, partners.CONSENT_COLUMNS),
    (VcseContact, partners.VCSE_CONTACT_COLUMNS),
]
#: Small tables written with the ORM (places.py), analysed at the end too.
ORM_TABLES = ["pcns_tenant", "pcns_organisation", "pcns_team", "pcns_user", "pcns_membership",
              "pcns_teammembership", "vcse_service", "referrals_postcodearea"]
STAFF_PHASE = "organisations, teams, staff"


@dataclass
class Report:
    timings: Timings
    total_seconds: float


def generate(options: Options, *, say: Callable[[str], None] = print) -> Report:
    """Generate ``options.tenants`` tenants and everything in them, or nothing at all."""
    for model, columns in COPIED:
        check_columns(model, columns)
    connection = connections["default"]
    if connection.in_atomic_block:
        raise GenerationError("generate_synthetic commits its own transaction: run it outside "
                              "one.")
    timings = Timings()
    started = time.perf_counter()
    copied_tables = [model._meta.db_table for model, _ in COPIED]
    with owner_connection():
        connection.ensure_connection()
        raw = connection.connection
        _check_owner(raw)
        with transaction.atomic():
            with timings.phase("checks; keys and indexes set aside"):
                _refuse_existing(raw, options)
                lock_tables(raw, copied_tables)
                saved = set_aside_foreign_keys(raw, copied_tables)
                indexes = set_aside_indexes(raw, copied_tables)
            loader = Loader(raw, timings)
            ids = {model: Ids() for model, _ in COPIED}
            cal = Calendar(options.first_day, options.last_day)
            for index, slug in enumerate(options.slugs, start=1):
                tenant_started = time.perf_counter()
                tenant = _Tenant(loader, options, index, cal, ids)
                tenant.generate(slug)
                say(f"  {slug}: {tenant.written[Referral]:,} referrals, "
                    f"{tenant.written[Contact]:,} contacts "
                    f"({time.perf_counter() - tenant_started:.1f} s)")
            with timings.phase("indexes built"):
                restore_indexes(raw, indexes)
            with timings.phase("foreign keys added back and checked"):
                restore_foreign_keys(raw, saved)
            committing = time.perf_counter()
        timings.seconds["commit"] += time.perf_counter() - committing
        with timings.phase("analyze"):
            analyze(raw, ORM_TABLES + copied_tables)
    return Report(timings, time.perf_counter() - started)


def _check_owner(raw) -> None:
    """COPY into tables with row-level security needs the role that owns them."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
                       "WHERE oid = 'referrals_referral'::regclass")
        row = cursor.fetchone()
    if not row or not row[0]:
        raise GenerationError(
            "generate_synthetic writes with COPY as the database owner role, because "
            "PostgreSQL refuses COPY FROM into a table with row-level security for the "
            "application role: set DATABASE_OWNER_URL.")


def _refuse_existing(raw, options: Options) -> None:
    slugs = options.slugs
    with raw.cursor() as cursor:
        cursor.execute("SELECT slug FROM pcns_tenant WHERE slug = ANY(%s) ORDER BY slug",
                       [slugs])
        if taken := cursor.fetchone():
            raise GenerationError(
                f"A tenant with the slug {taken[0]} already exists: choose another --prefix, "
                "or generate into a fresh database.")
        cursor.execute("SELECT split_part(email, '@', 2) FROM pcns_user "
                       "WHERE email LIKE ANY(%s) LIMIT 1", [[f"%@{slug}.test" for slug in slugs]])
        if taken := cursor.fetchone():
            raise GenerationError(
                f"Staff with emails @{taken[0]} already exist: choose another --prefix, or "
                "generate into a fresh database.")


@dataclass
class _Tenant:
    """One tenant's run: its small tables first, then its big tables one COPY at a time."""

    loader: Loader
    options: Options
    index: int
    cal: Calendar
    ids: dict[type[Model], Ids]
    written: dict[type[Model], int] = field(default_factory=dict)
    place: Place = field(init=False)

    def generate(self, slug: str) -> None:
        options, timings = self.options, self.loader.timings
        with timings.phase(STAFF_PHASE):
            self.place = build_place(
                index=self.index, slug=slug,
                name=f"{options.prefix.replace('-', ' ').title()} {self.index:02d}",
                pcns=options.pcns_per_tenant, referrals=self.share(options.referrals),
                period_start=options.first_day, rng=self.rng("place"))
        timings.rows[STAFF_PHASE] += self.place.orm_rows
        walked = self.people_and_referrals()
        self.care(walked)
        self.onward(walked)

    def share(self, total: int) -> int:
        return self.options.share(total, self.index)

    def rng(self, stage: str) -> random.Random:
        return rng_for(self.options.seed, self.index, stage)

    def stage(self, name: str) -> dict:
        """What every row generator takes: the calendar, its own random stream, the tenant."""
        return {"cal": self.cal, "rng": self.rng(name), "tenant": self.place.tenant_id}

    def copy(self, phase: str, model: type[Model], columns: tuple[str, ...], rows) -> None:
        self.written[model] = self.loader.copy(phase, model, columns, rows)

    def people_and_referrals(self) -> list[journeys.Journey]:
        """People (their referrals simulated as each is made), then the referrals."""
        place, cal, tenant = self.place, self.cal, self.place.tenant_id
        rng = self.rng("people")
        maker = journeys.JourneyMaker(place, cal=cal, rng=self.rng("referrals"),
                                      ids=self.ids[Referral])
        walked: list[journeys.Journey] = []

        def people_rows():
            nhs = nhs_numbers(self.rng("nhs"))
            counts = journeys.referral_counts(rng, self.share(self.options.people),
                                              self.share(self.options.referrals))
            for serial, count in enumerate(counts):
                person = people.make_person(place, cal=cal, rng=rng, ids=self.ids[Person],
                                            nhs=nhs, serial=serial)
                walked.extend(maker.chain(person, count))
                yield people.person_row(person, tenant)

        self.copy("people", Person, people.PERSON_COLUMNS, people_rows())
        self.copy("referrals", Referral, journeys.REFERRAL_COLUMNS,
                  (journeys.referral_row(j, tenant, cal) for j in walked))
        self.copy("joint workers", JointWorker, journeys.JOINT_WORKER_COLUMNS,
                  journeys.joint_worker_rows(walked, tenant, self.ids[JointWorker]))
        return walked

    def care(self, walked: list[journeys.Journey]) -> None:
        """Contacts first: the records after them point at the contacts they happened at."""
        ids, stage = self.ids, self.stage
        contacts = care.Contacts(self.place, ids=ids[Contact], **stage("contacts"))
        target = round(self.share(self.options.referrals) * self.options.contacts_per_referral)
        self.copy("contacts", Contact, care.CONTACT_COLUMNS, contacts.rows(walked, target))
        self.copy("assessments", Assessment, care.ASSESSMENT_COLUMNS,
                  care.assessment_rows(walked, ids=ids[Assessment], **stage("assessments")))
        self.copy("care plans", CarePlan, care.CARE_PLAN_COLUMNS,
                  care.care_plan_rows(walked, cal=self.cal, ids=ids[CarePlan],
                                      tenant=self.place.tenant_id))
        self.copy("care plan versions", CarePlanVersion, care.CARE_PLAN_VERSION_COLUMNS,
                  care.care_plan_version_rows(walked, ids=ids[CarePlanVersion],
                                              **stage("plans")))
        self.copy("interventions", Intervention, care.INTERVENTION_COLUMNS,
                  care.intervention_rows(walked, ids=ids[Intervention],
                                         **stage("interventions")))
        self.copy("outcome measures", OutcomeMeasure, care.OUTCOME_COLUMNS,
                  care.outcome_rows(walked, ids=ids[OutcomeMeasure], **stage("outcomes")))

    def onward(self, walked: list[journeys.Journey]) -> None:
        ids, stage = self.ids, self.stage
        onward = partners.plan_onward(walked, self.place, cal=self.cal, rng=self.rng("onward"),
                                      ids=ids[OnwardReferral])
        self.copy("onward referrals", OnwardReferral, partners.ONWARD_COLUMNS,
                  partners.onward_rows(onward, cal=self.cal, rng=self.rng("onward rows"),
                                       tenant=self.place.tenant_id))
        self.copy("consents", Consent, partners.CONSENT_COLUMNS,
                  partners.consent_rows(onward, ids=ids[Consent], **stage("consents")))
        self.copy("VCSE contacts", VcseContact, partners.VCSE_CONTACT_COLUMNS,
                  partners.vcse_contact_rows(onward, ids=ids[VcseContact],
                                             **stage("vcse contacts")))
