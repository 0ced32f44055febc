"""The kinds of record in the dataset format (docs/data-formats.md), in the order they import.

Each kind lists its columns and adds what the generic engine cannot know: checks that follow the
service's rules (a referral's columns agree with its status, a contact is not before its
referral), values kept in other tables (a member of staff's teams, an onward referral's consent)
and the timeline event an imported referral gets.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from typing import Any

from caseload.codes import (
    TOOLS,
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
    OutcomeTool,
)
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
)
from config import limits
from pcns.accounts.invitations import EMAIL_UNAVAILABLE
from pcns.dataset import fields as f
from pcns.dataset.engine import Context, Kind, Planned
from pcns.models import (
    ExternalId,
    IntakePause,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    User,
)
from pcns.services import membership_sync_staff_flag
from pcns.tenancy import require_tenant_id as ctx_tenant
from referrals.codes import (
    ContactMethod,
    DischargeReason,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    RedirectDestination,
    RejectionReason,
    Sex,
    Source,
    Urgency,
)
from referrals.models import JointWorker, Person, PostcodeArea, Referral, ReferralEvent
from referrals.states import OPEN_STATUSES, EventKind, Status
from vcse.codes import (
    ClosureOutcome,
    ConsentGiver,
    DeclineReason,
    OnwardEventKind,
    OnwardStatus,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)
from vcse.models import (
    Consent,
    OnwardReferral,
    OnwardReferralEvent,
    Service,
    ServiceArea,
    VcseContact,
)

IMPORT_LABEL = "Data import"

Errors = list[tuple[str, str]]


def _links(through, owner: str, target: str, loaded: dict[uuid.UUID, dict[str, Any]],
           column: str) -> None:
    """Fill a list-of-links column (a member's teams) from its link table, sorted for a stable
    order in files."""
    links = defaultdict(list)
    for owner_id, target_id in (through.objects.filter(**{f"{owner}__in": list(loaded)})
                                .values_list(owner, target)):
        links[owner_id].append(target_id)
    for pk, values in loaded.items():
        values[column] = sorted(links.get(pk, []), key=str)


def _set_links(through, owner: str, target: str, planned: list[Planned], column: str,
               ctx: Context) -> None:
    """Make each record's links exactly the column's list."""
    owners = [p.pk for p in planned if p.is_new or column in p.changed]
    if not owners:
        return
    through.objects.filter(**{f"{owner}__in": owners}).delete()
    through.objects.bulk_create(
        [through(tenant_id=ctx.tenant_id, **{owner: p.pk, target: target_pk})
         for p in planned if p.pk in set(owners) for target_pk in p.values[column]],
        batch_size=5000)


def _after(values: dict, later: str, earlier: str, errors: Errors, message: str) -> None:
    if values.get(later) and values.get(earlier) and values[later] < values[earlier]:
        errors.append((later, message))


def _unique(planned: list[Planned], key, stored: dict[Any, uuid.UUID], column: str,
            message: str) -> dict[str, Errors]:
    """Rows whose ``key`` is used by another row of the file or another record of the tenant."""
    errors: dict[str, Errors] = {}
    seen: dict[Any, uuid.UUID] = {}
    for p in planned:
        value = key(p.values)
        if value is None:
            continue
        other = seen.get(value) or stored.get(value)
        if other is not None and other != p.pk:
            errors[p.external_id] = [(column, message)]
        seen.setdefault(value, p.pk)
    return errors


# --- organisations, teams, staff -------------------------------------------------------------

class Organisations(Kind):
    name, noun, model = "organisations", "organisation", Organisation
    columns = [
        f.external_id(), f.code("kind", OrganisationKind, required=True),
        f.text("name", 200, required=True), f.text("ods_code", 10), f.ref("parent_id",
                                                                          "organisations"),
        f.date("go_live_date"), f.integer("registered_population", 1, 10_000_000),
    ]

    def check(self, values, ctx, errors):
        if values["go_live_date"] and values["kind"] != OrganisationKind.PCN:
            errors.append(("go_live_date", "Only a PCN has a go-live date."))
        if values["registered_population"] and values["kind"] != OrganisationKind.PCN:
            errors.append(("registered_population", "Only a PCN has a registered population."))
        code = values["ods_code"]
        if code and not (3 <= len(code) <= 10 and code.isascii() and code.isalnum()
                         and code == code.upper()):
            errors.append(("ods_code", "An ODS code is 3 to 10 capital letters and digits."))

    def check_all(self, planned, ctx):
        pks = {p.pk for p in planned}
        errors = {p.external_id: [("parent_id", "An organisation cannot be its own parent.")]
                  for p in planned if p.values["parent_id"] == p.pk}
        stored = {code: pk for code, pk in self.queryset().exclude(ods_code="")
                  .exclude(pk__in=pks).values_list("ods_code", "pk")}
        errors.update(_unique(planned, lambda v: v["ods_code"] or None, stored, "ods_code",
                              "Another organisation in this place has this ODS code."))
        return errors


class IntakePauses(Kind):
    name, noun, model = "intake_pauses", "intake pause", IntakePause
    columns = [
        f.external_id(), f.ref("organisation_id", "organisations", required=True),
        f.date("starts_on", required=True), f.date("ends_on"),
        f.text("reason", 300, required=True),
    ]

    def check(self, values, ctx, errors):
        if ctx.values("organisations", values["organisation_id"]).get("kind") != "pcn":
            errors.append(("organisation_id", "Only a PCN's intake can be paused."))
        _after(values, "ends_on", "starts_on", errors, "The pause must end on or after its start.")


class Teams(Kind):
    name, noun, model = "teams", "team", Team
    columns = [
        f.external_id(), f.text("name", 200, required=True),
        f.code("kind", TeamKind, required=True), f.ref("host_id", "organisations", required=True),
        f.boolean("is_active", default=True),
    ]

    def check_all(self, planned, ctx):
        stored = dict(self.queryset().exclude(pk__in=[p.pk for p in planned])
                      .values_list("name", "pk"))
        return _unique(planned, lambda v: v["name"], stored, "name",
                       "Another team in this place has this name.")


class Staff(Kind):
    name, noun, model = "staff", "member of staff", Membership
    columns = [
        f.external_id(), f.email("email", required=True), f.text("first_name", 150, required=True),
        f.text("last_name", 150, required=True), f.code("role", Role, required=True),
        f.ref("employer_id", "organisations", required=True),
        f.boolean("honorary_contract"), f.decimal("wte", "0.01", "1.00", 2),
        f.refs("team_ids", "teams"), f.boolean("is_active", default=True),
    ]

    def load(self, *, pks=None):
        queryset = self.queryset().order_by()
        if pks is not None:
            queryset = queryset.filter(pk__in=list(pks))
        loaded = {
            row["id"]: {"email": row["user__email"], "first_name": row["user__first_name"],
                        "last_name": row["user__last_name"], "role": row["role"],
                        "employer_id": row["employer_id"],
                        "honorary_contract": row["honorary_contract"], "wte": row["wte"],
                        "is_active": row["is_active"], "user": row["user_id"]}
            for row in queryset.values("id", "user_id", "user__email", "user__first_name",
                                       "user__last_name", "role", "employer_id",
                                       "honorary_contract", "wte", "is_active")
        }
        _links(TeamMembership, "membership_id", "team_id", loaded, "team_ids")
        return loaded

    def defaults(self, values, ctx):
        values["team_ids"] = sorted(set(values["team_ids"]), key=str)

    def check(self, values, ctx, errors):
        user = User.objects.filter(email=values["email"]).values_list("pk", flat=True).first()
        if user is None:
            values["user"] = uuid.uuid4()
        elif Membership.objects.filter(user_id=user).exists():  # row-level security: ours only
            values["user"] = user
        else:
            # Someone this place may not use; never say whose or where (EMAIL_UNAVAILABLE).
            errors.append(("email", EMAIL_UNAVAILABLE))

    def check_all(self, planned, ctx):
        errors: dict[str, Errors] = {}
        by_email = Counter(p.values["email"] for p in planned)
        owners = dict(Membership.objects.filter(user_id__in=[p.values["user"] for p in planned])
                      .values_list("user_id", "pk"))
        for p in planned:
            if by_email[p.values["email"]] > 1:
                errors[p.external_id] = [("email", "Another row has this email address.")]
            elif owners.get(p.values["user"], p.pk) != p.pk:
                errors[p.external_id] = [("email", "Another member of staff in this place has "
                                                   "this email address.")]
        return errors

    def build(self, planned, ctx):
        values = planned.values
        return Membership(id=planned.pk, tenant_id=ctx.tenant_id, user_id=values["user"],
                          role=values["role"], employer_id=values["employer_id"],
                          honorary_contract=values["honorary_contract"], wte=values["wte"],
                          is_active=values["is_active"])

    def create(self, planned, ctx):
        existing_users = set(User.objects.filter(pk__in=[p.values["user"] for p in planned])
                             .values_list("pk", flat=True))
        users = []
        for p in planned:
            if p.values["user"] in existing_users:
                continue
            user = User(id=p.values["user"], email=p.values["email"],
                        first_name=p.values["first_name"], last_name=p.values["last_name"])
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users)
        super().create(planned, ctx)

    def update(self, planned, ctx):
        user_fields = ["email", "first_name", "last_name"]
        changed_users = [p for p in planned if set(p.changed) & set(user_fields)]
        if changed_users:
            User.objects.bulk_update(
                [User(id=p.values["user"], **{k: p.values[k] for k in user_fields})
                 for p in changed_users], user_fields)
        fields = [name for name in ["role", "employer_id", "honorary_contract", "wte",
                                    "is_active"] if any(name in p.changed for p in planned)]
        if fields:
            Membership.objects.bulk_update([self.build(p, ctx) for p in planned], fields)
        self.after_save(planned, ctx)

    def after_save(self, planned, ctx):
        _set_links(TeamMembership, "membership_id", "team_id", planned, "team_ids", ctx)
        for membership in Membership.objects.filter(pk__in=[p.pk for p in planned]).select_related(
                "user"):
            membership_sync_staff_flag(membership=membership)


# --- people and referrals ----------------------------------------------------------------------

class People(Kind):
    name, noun, model, person_data = "people", "person", Person, True
    columns = [
        f.external_id(), f.nhs_number("nhs_number"),
        f.code("nhs_number_missing_reason", NhsNumberMissingReason),
        f.text("given_name", 100, required=True), f.text("family_name", 100, required=True),
        f.date("date_of_birth", required=True, care=True), f.code("sex", Sex, required=True),
        f.code("gender", Gender, default=Gender.NOT_STATED),
        f.code("ethnicity", EthnicCategory, default=EthnicCategory.NOT_STATED),
        f.postcode("postcode"), f.text("lsoa_code", 9), f.integer("imd_decile", 1, 10),
        f.ref("registered_practice_id", "organisations"), f.boolean("interpreter_needed"),
        f.text("language", 60), f.text("phone", 20), f.email("email"), f.text("address", 300),
        f.code("preferred_contact_method", ContactMethod, default=ContactMethod.TELEPHONE),
    ]

    def queryset(self):
        return super().queryset().filter(merged_into__isnull=True)

    def defaults(self, values, ctx):
        if values["postcode"] and not values["lsoa_code"] and values["imd_decile"] is None:
            values.update(self._areas(ctx).get(values["postcode"], {}))

    @staticmethod
    def _areas(ctx: Context) -> dict[str, dict[str, Any]]:
        """The tenant's postcode lookup, read once per import rather than once per row."""
        if "postcode_areas" not in ctx.lookups:
            ctx.lookups["postcode_areas"] = {
                row.pop("postcode"): row
                for row in PostcodeArea.objects.values("postcode", "lsoa_code", "imd_decile")}
        return ctx.lookups["postcode_areas"]

    def check(self, values, ctx, errors):
        if values["nhs_number"] and values["nhs_number_missing_reason"]:
            errors.append(("nhs_number_missing_reason",
                           "Leave this empty when there is an NHS number."))
        if not values["nhs_number"] and not values["nhs_number_missing_reason"]:
            errors.append(("nhs_number", "Give the NHS number, or why there is none in "
                                         "nhs_number_missing_reason."))
        practice = values["registered_practice_id"]
        if practice and ctx.values("organisations", practice).get("kind") != "gp_practice":
            errors.append(("registered_practice_id", "This organisation is not a GP practice."))

    def check_all(self, planned, ctx):
        numbers = [p.values["nhs_number"] for p in planned if p.values["nhs_number"]]
        stored = dict(self.queryset().filter(nhs_number__in=numbers)
                      .exclude(pk__in=[p.pk for p in planned]).values_list("nhs_number", "pk"))
        return _unique(planned, lambda v: v["nhs_number"] or None, stored, "nhs_number",
                       "Another person in this place has this NHS number.")


TRIAGED = {Status.ACCEPTED, Status.ALLOCATED, Status.ACTIVE, Status.REDIRECTED, Status.REJECTED,
           Status.DISCHARGED}


class Referrals(Kind):
    name, noun, model, person_data = "referrals", "referral", Referral, True
    columns = [
        f.external_id(), f.ref("person_id", "people", required=True),
        f.ref("team_id", "teams", required=True), f.code("source", Source, required=True),
        f.text("referrer_name", 200), f.ref("referrer_organisation_id", "organisations"),
        f.date("received_on", required=True, care=True), f.datetime("entered_at"),
        f.staff_user("entered_by_id"), f.code("urgency", Urgency, default=Urgency.ROUTINE),
        f.codes("presenting_needs", PresentingNeed), f.text("reason", limits.REASON),
        f.code("status", Status, required=True), f.date("triaged_on", care=True),
        f.staff_user("triaged_by_id"), f.code("redirect_destination", RedirectDestination),
        f.code("rejection_reason", RejectionReason), f.text("decision_note"),
        f.text("mdt_note"), f.ref("worker_id", "staff"), f.refs("joint_worker_ids", "staff"),
        f.date("allocated_on", care=True), f.date("discharged_on", care=True),
        f.code("discharge_reason", DischargeReason), f.text("discharge_destination", 200),
        f.text("discharge_note"), f.ref("previous_referral_id", "referrals"),
        f.ref("episode_id", "referrals"),
    ]

    def model_fields(self):
        plain = super().model_fields()
        plain.pop("episode_id", None)  # stored as the episode's key, not a referral id
        return plain

    def load_extra(self, loaded):
        _links(JointWorker, "referral_id", "membership_id", loaded, "joint_worker_ids")
        keys = dict(self.queryset().filter(pk__in=list(loaded)).values_list("id", "episode_id"))
        # An episode is named by its first referral, whatever key the service gave it.
        heads = dict(self.queryset().filter(episode_id__in=set(keys.values()))
                     .order_by("episode_id", "received_on", "id").distinct("episode_id")
                     .values_list("episode_id", "id"))
        for pk, values in loaded.items():
            values["episode_id"] = heads[keys[pk]]

    now_columns = ("entered_at",)

    def defaults(self, values, ctx):
        values["joint_worker_ids"] = sorted(set(values["joint_worker_ids"]), key=str)

    def check(self, values, ctx, errors):
        status = values["status"]
        if values["entered_at"] and values["entered_at"] > ctx.now:
            errors.append(("entered_at", "This is in the future."))
        person = ctx.values("people", values["person_id"])
        born = person.get("date_of_birth")
        if born and values["received_on"] < born:
            errors.append(("received_on", "This is before the person was born."))
        if ctx.values("teams", values["team_id"]).get("kind") == TeamKind.VCSE_SERVICE:
            errors.append(("team_id", "Referrals go to a mental health team, not a VCSE "
                                      "service team."))
        needs = {
            "triaged_on": status in TRIAGED,
            "redirect_destination": status == Status.REDIRECTED,
            "rejection_reason": status == Status.REJECTED,
            "worker_id": status in {Status.ALLOCATED, Status.ACTIVE},
            "discharged_on": status == Status.DISCHARGED,
            "discharge_reason": status == Status.DISCHARGED,
        }
        for column, needed in needs.items():
            if needed and not values[column]:
                errors.append((column, f"A {status.replace('_', ' ')} referral needs this."))
            if not needed and values[column] and column != "worker_id":
                errors.append((column, f"A {status.replace('_', ' ')} referral cannot have this."))
        for later in ["triaged_on", "allocated_on", "discharged_on"]:
            _after(values, later, "received_on", errors, "This is before the referral was "
                                                         "received.")
        _after(values, "discharged_on", "triaged_on", errors, "This is before the triage "
                                                              "decision.")
        worker = values["worker_id"]
        if worker and values["team_id"] not in ctx.values("staff", worker).get("team_ids", []):
            errors.append(("worker_id", "This member of staff is not in the referral's team."))
        previous = values["previous_referral_id"]
        if previous and ctx.values("referrals", previous).get("person_id") != values["person_id"]:
            errors.append(("previous_referral_id", "That referral is for someone else."))

    def check_all(self, planned, ctx):
        errors: dict[str, Errors] = {}
        mine = [p.pk for p in planned]
        for p in planned:
            if p.values["episode_id"] is None:
                p.values["episode_id"] = p.pk
            head = ctx.values("referrals", p.values["episode_id"])
            if head and head.get("person_id") != p.values["person_id"]:
                errors[p.external_id] = [("episode_id", "That episode is someone else's.")]
        open_rows = [p for p in planned if p.values["status"] in OPEN_STATUSES]
        stored = {(row[0], row[1]): row[2] for row in self.queryset().filter(
            status__in=sorted(OPEN_STATUSES),
            person_id__in=[p.values["person_id"] for p in open_rows],
        ).exclude(pk__in=mine).values_list("person_id", "team_id", "pk")}
        errors.update(_unique(open_rows, lambda v: (v["person_id"], v["team_id"]), stored,
                              "status", "This person already has an open referral to this "
                                        "team."))
        return errors

    def build(self, planned, ctx):
        referral = super().build(planned, ctx)
        head = planned.values["episode_id"]
        stored_head = ctx.existing("referrals", head) if head != planned.pk else None
        referral.episode_id = (Referral.objects.filter(pk=head).values_list(
            "episode_id", flat=True).first() if stored_head else None) or head
        return referral

    def update(self, planned, ctx):
        super().update(planned, ctx)
        episode_changed = [p for p in planned if "episode_id" in p.changed]
        if episode_changed:
            Referral.objects.bulk_update([self.build(p, ctx) for p in episode_changed],
                                         ["episode_id"])

    def after_save(self, planned, ctx):
        _set_links(JointWorker, "referral_id", "membership_id", planned, "joint_worker_ids", ctx)
        ReferralEvent.objects.bulk_create(
            [ReferralEvent(tenant_id=ctx.tenant_id, referral_id=p.pk, at=ctx.now,
                           effective_on=p.values["received_on"] if p.is_new else ctx.today,
                           actor=ctx.actor, actor_label=_actor_label(ctx),
                           kind=EventKind.IMPORTED, to_status=p.values["status"],
                           details={"changed": p.changed} if not p.is_new else {})
             for p in planned], batch_size=2000)


def _actor_label(ctx: Context) -> str:
    if ctx.actor is None:
        return IMPORT_LABEL
    return f"{IMPORT_LABEL} by {(ctx.actor.get_full_name() or ctx.actor.email)}"[:200]


# --- care ------------------------------------------------------------------------------------

class Recorded(Kind):
    """Care records: who recorded them defaults to who did the work; when, to now."""

    person_data = True
    worker_column = ""
    now_columns = ("recorded_at",)

    def defaults(self, values, ctx):
        if values.get("recorded_by_id") is None:
            values["recorded_by_id"] = values[self.worker_column]

    def check_referral_date(self, values, ctx, errors, column: str) -> None:
        referral = values.get("referral_id")
        if referral is None:
            return
        received = ctx.values("referrals", referral).get("received_on")
        if received and values[column] and values[column] < received:
            errors.append((column, "This is before the referral was received."))

    def check_contact(self, values, ctx, errors) -> None:
        contact = values.get("contact_id")
        if contact and ctx.values("contacts", contact).get("referral_id") != values["referral_id"]:
            errors.append(("contact_id", "That contact belongs to another referral."))


def _recorded_columns() -> list:
    return [f.staff_user("recorded_by_id"), f.datetime("recorded_at")]


class Contacts(Recorded):
    name, noun, model, worker_column = "contacts", "contact", Contact, "staff_id"
    columns = [
        f.external_id(), f.ref("referral_id", "referrals"), f.ref("team_id", "teams",
                                                                  required=True),
        f.ref("staff_id", "staff", required=True), f.code("staff_role", Role),
        f.date("on", required=True), f.time("at"), f.integer("duration_minutes", 0, 720),
        f.code("mode", ContactMode, required=True), f.code("attendance", Attendance,
                                                           required=True),
        f.boolean("direct", default=True), f.code("purpose", ContactPurpose, required=True),
        f.ref("organisation_id", "organisations"), f.text("note"), *_recorded_columns(),
    ]

    def defaults(self, values, ctx):
        super().defaults(values, ctx)
        if not values["staff_role"]:
            values["staff_role"] = ctx.values("staff", values["staff_id"]).get("role", "")

    def check(self, values, ctx, errors):
        if values["attendance"] != Attendance.BOOKED and values["on"] > ctx.today:
            errors.append(("on", "Only a booked appointment can be in the future."))
        self.check_referral_date(values, ctx, errors, "on")
        referral = values["referral_id"]
        if referral and ctx.values("referrals", referral).get("team_id") != values["team_id"]:
            errors.append(("team_id", "This is not the referral's team."))


class Assessments(Recorded):
    name, noun, model, worker_column = "assessments", "assessment", Assessment, "assessor_id"
    columns = [
        f.external_id(), f.ref("referral_id", "referrals", required=True),
        f.code("kind", AssessmentKind, required=True),
        f.date("assessed_on", required=True, care=True), f.ref("assessor_id", "staff",
                                                               required=True),
        f.ref("contact_id", "contacts"), f.text("summary", required=True), f.text("risk_summary"),
        *_recorded_columns(),
    ]

    def check(self, values, ctx, errors):
        self.check_referral_date(values, ctx, errors, "assessed_on")
        self.check_contact(values, ctx, errors)


class Interventions(Recorded):
    name, noun, model, worker_column = ("interventions", "intervention", Intervention,
                                        "delivered_by_id")
    columns = [
        f.external_id(), f.ref("referral_id", "referrals", required=True),
        f.code("kind", InterventionKind, required=True), f.text("description", 300),
        f.date("started_on", required=True, care=True), f.date("ended_on", care=True),
        f.ref("delivered_by_id", "staff", required=True), f.ref("contact_id", "contacts"),
        *_recorded_columns(),
    ]

    def check(self, values, ctx, errors):
        self.check_referral_date(values, ctx, errors, "started_on")
        _after(values, "ended_on", "started_on", errors, "This is before it started.")
        self.check_contact(values, ctx, errors)


class OutcomeMeasures(Recorded):
    name, noun, model, worker_column = ("outcome_measures", "outcome measure", OutcomeMeasure,
                                        "recorded_by_id")
    columns = [
        f.external_id(), f.ref("referral_id", "referrals", required=True),
        f.code("tool", OutcomeTool, required=True),
        f.date("completed_on", required=True, care=True),
        f.integers("items", -1000, 1000, required=True), f.booleans("wants_more_help"),
        f.ref("contact_id", "contacts"), f.staff_user("recorded_by_id", required=True),
        f.datetime("recorded_at"),
    ]

    def check(self, values, ctx, errors):
        self.check_referral_date(values, ctx, errors, "completed_on")
        self.check_contact(values, ctx, errors)
        spec = TOOLS.get(values["tool"])
        if spec is None:
            errors.append(("tool", "This tool cannot be imported."))
            return
        items = values["items"]
        if len(items) != len(spec.items):
            errors.append(("items", f"{spec.tool.label} has {len(spec.items)} items; this row "
                                    f"has {len(items)}."))
        elif any(not spec.minimum <= item <= spec.maximum for item in items):
            errors.append(("items", f"Each {spec.tool.label} item is {spec.minimum} to "
                                    f"{spec.maximum}."))
        wants = values["wants_more_help"]
        if wants and (not spec.asks_wants_more_help or len(wants) != len(spec.items)):
            errors.append(("wants_more_help", f"Give one true or false per item, for DIALOG "
                                              f"only ({len(spec.items)} for {spec.tool.label})."
                           if spec.asks_wants_more_help else "Only DIALOG asks this."))

    def build(self, planned, ctx):
        measure = super().build(planned, ctx)
        measure.score, measure.subscores = TOOLS[measure.tool].score(list(measure.items))
        return measure

    def update(self, planned, ctx):
        super().update(planned, ctx)
        OutcomeMeasure.objects.bulk_update([self.build(p, ctx) for p in planned],
                                           ["score", "subscores"])


class CarePlans(Kind):
    """One row per version; ``id`` is the plan's. Saved versions never change."""

    name, noun, model, person_data = "care_plans", "care plan", CarePlan, True
    columns = [
        f.external_id(), f.ref("referral_id", "referrals", required=True),
        f.integer("version", 1, 1000, required=True), f.texts("goals", limits.GOAL),
        f.codes("co_produced_with", CoProducer), f.date("agreed_on", care=True),
        f.text("review_trigger", limits.REASON, required=True), f.date("review_by"),
        f.text("safety_plan", required=True), f.staff_user("recorded_by_id", required=True),
        f.datetime("recorded_at"),
    ]
    version_columns = ["goals", "co_produced_with", "agreed_on", "review_trigger", "review_by",
                       "safety_plan", "recorded_by_id", "recorded_at"]
    # A version is known by "<plan id>@<version>"; the plan's own external id is stored once.
    separator = "@"

    def row_key(self, cells):
        plan, version = (cells.get("id") or "").strip(), (cells.get("version") or "").strip()
        return f"{plan}{self.separator}{version}" if plan else ""

    def existing_pk(self, key, ctx):
        plan_key, _, number = key.rpartition(self.separator)
        plan = ctx.existing_pk(self.name, plan_key)
        if plan is None or not number.isdigit():
            return None
        return CarePlanVersion.objects.filter(plan_id=plan, number=int(number)).values_list(
            "pk", flat=True).first()

    def load(self, *, pks=None):
        queryset = CarePlanVersion.objects.filter(tenant_id=ctx_tenant()).order_by()
        if pks is not None:
            queryset = queryset.filter(pk__in=list(pks))
        return {
            row["id"]: {"plan": row["plan_id"], "referral_id": row["plan__referral_id"],
                        "version": row["number"], "goals": row["goals"],
                        "co_produced_with": row["co_produced_with"],
                        "agreed_on": row["agreed_on"], "review_trigger": row["review_trigger"],
                        "review_by": row["review_by"], "safety_plan": row["safety_plan"],
                        "recorded_by_id": row["recorded_by__membership__id"],
                        "recorded_at": row["recorded_at"]}
            for row in queryset.values(
                "id", "plan_id", "plan__referral_id", "number", "goals", "co_produced_with",
                "agreed_on", "review_trigger", "review_by", "safety_plan",
                "recorded_by__membership__id", "recorded_at")
        }

    now_columns = ("recorded_at",)

    def check(self, values, ctx, errors):
        received = ctx.values("referrals", values["referral_id"]).get("received_on")
        if received and values["agreed_on"] and values["agreed_on"] < received:
            errors.append(("agreed_on", "This is before the referral was received."))
        _after(values, "review_by", "agreed_on", errors, "This is before the plan was agreed.")

    def check_all(self, planned, ctx):
        errors: dict[str, Errors] = {}
        plans: dict[str, uuid.UUID] = {}
        for p in planned:
            plan_key = p.external_id.rpartition(self.separator)[0]
            stored = None if p.is_new else ctx.existing(self.name, p.pk)
            if stored and any(stored[c] != p.values[c] for c in self.version_columns
                              if c != "recorded_at" or p.values[c] is not None):
                # recorded_at is filled in later (compare): an empty one is no change
                errors[p.external_id] = [("version", f"Version {p.values['version']} of this "
                                                     "care plan is saved and cannot change.")]
                continue
            plan = (stored or {}).get("plan") or ctx.existing_pk(self.name, plan_key)
            by_referral = CarePlan.objects.filter(referral_id=p.values["referral_id"]).values_list(
                "pk", flat=True).first()
            if plan is not None and by_referral not in (None, plan):
                errors[p.external_id] = [("referral_id", "This referral has another care plan.")]
                continue
            plans.setdefault(plan_key, plan or by_referral or uuid.uuid4())
            p.values["plan"] = plans[plan_key]
        numbers = defaultdict(set)
        for plan, number in CarePlanVersion.objects.filter(
                plan_id__in=set(plans.values())).values_list("plan_id", "number"):
            numbers[plan].add(number)
        referrals: dict[uuid.UUID, set] = defaultdict(set)
        for p in planned:
            if p.external_id in errors:
                continue
            numbers[p.values["plan"]].add(p.values["version"])
            referrals[p.values["plan"]].add(p.values["referral_id"])
        for p in planned:
            if p.external_id in errors:
                continue
            plan = p.values["plan"]
            if numbers[plan] != set(range(1, max(numbers[plan]) + 1)):
                errors[p.external_id] = [("version", "A care plan's versions are numbered "
                                                     "1, 2, 3 ... with none missing.")]
            elif len(referrals[plan]) > 1:
                errors[p.external_id] = [("referral_id", "Every version of a plan is for the "
                                                         "same referral.")]
        return errors

    def create(self, planned, ctx):
        existing = set(CarePlan.objects.filter(pk__in={p.values["plan"] for p in planned})
                       .values_list("pk", flat=True))
        new_plans = {p.values["plan"]: p for p in planned if p.values["plan"] not in existing}
        CarePlan.objects.bulk_create(
            [CarePlan(id=plan, tenant_id=ctx.tenant_id, referral_id=p.values["referral_id"],
                      created_at=p.values["recorded_at"])
             for plan, p in new_plans.items()])
        CarePlanVersion.objects.bulk_create(
            [CarePlanVersion(id=p.pk, tenant_id=ctx.tenant_id, plan_id=p.values["plan"],
                             number=p.values["version"], goals=p.values["goals"],
                             co_produced_with=p.values["co_produced_with"],
                             agreed_on=p.values["agreed_on"],
                             review_trigger=p.values["review_trigger"],
                             review_by=p.values["review_by"],
                             safety_plan=p.values["safety_plan"],
                             recorded_by_id=ctx.user_of(p.values["recorded_by_id"]),
                             recorded_at=p.values["recorded_at"])
             for p in planned], batch_size=2000)
        latest: dict[uuid.UUID, int] = {}
        for plan, number in CarePlanVersion.objects.filter(plan_id__in={
                p.values["plan"] for p in planned}).values_list("plan_id", "number"):
            latest[plan] = max(latest.get(plan, 0), number)
        CarePlan.objects.bulk_update([CarePlan(id=plan, version=number)
                                      for plan, number in latest.items()], ["version"])

    def update(self, planned, ctx):
        """Versions never change (check_all refuses); only a recorded_at left empty differs."""

    def record_external_ids(self, planned, ctx):
        mapping = ctx.mapping(self.name)
        seen = set()
        rows = []
        for p in planned:
            plan_key = p.external_id.rpartition(self.separator)[0]
            if plan_key in mapping or plan_key in seen or plan_key == str(p.values["plan"]):
                continue
            seen.add(plan_key)
            rows.append(ExternalId(tenant_id=ctx.tenant_id, kind=self.name,
                                   external_id=plan_key, record_id=p.values["plan"]))
        ExternalId.objects.bulk_create(rows, batch_size=5000)


# --- VCSE ------------------------------------------------------------------------------------

class Services(Kind):
    name, noun, model = "services", "service", Service
    columns = [
        f.external_id(), f.ref("organisation_id", "organisations", required=True),
        f.text("name", 200, required=True), f.text("description"),
        f.codes("categories", SupportCategory), f.text("eligibility"),
        f.refs("area_ids", "organisations"), f.text("area_note", 200),
        f.boolean("is_open", default=True), f.text("capacity_note", 300),
        f.boolean("is_published", default=True), f.email("email"), f.text("phone", 20),
        f.text("website", 200), f.text("address", 300),
    ]

    def load_extra(self, loaded):
        _links(ServiceArea, "service_id", "organisation_id", loaded, "area_ids")

    def defaults(self, values, ctx):
        values["area_ids"] = sorted(set(values["area_ids"]), key=str)
        values["categories"] = sorted(set(values["categories"]))

    def check(self, values, ctx, errors):
        if ctx.values("organisations", values["organisation_id"]).get("kind") != "vcse":
            errors.append(("organisation_id", "Only a VCSE organisation lists services."))
        if any(ctx.values("organisations", pk).get("kind") != "pcn"
               for pk in values["area_ids"]):
            errors.append(("area_ids", "The areas a service covers are PCNs."))

    def check_all(self, planned, ctx):
        stored = {(org, name): pk for org, name, pk in self.queryset().exclude(
            pk__in=[p.pk for p in planned]).values_list("organisation_id", "name", "pk")}
        return _unique(planned, lambda v: (v["organisation_id"], v["name"]), stored, "name",
                       "This organisation already has a service with this name.")

    def after_save(self, planned, ctx):
        _set_links(ServiceArea, "service_id", "organisation_id", planned, "area_ids", ctx)


CONSENT_COLUMNS = {
    "consent_given_by": "given_by", "consent_given_by_name": "given_by_name",
    "consent_given_on": "given_on", "consent_purpose": "purpose",
    "consent_expires_on": "expires_on", "consent_includes_risk": "includes_risk",
    "consent_withdrawn_on": "withdrawn_on", "consent_withdrawal_note": "withdrawal_note",
}


class OnwardReferrals(Kind):
    name, noun, model, person_data = ("onward_referrals", "onward referral", OnwardReferral,
                                      True)
    columns = [
        f.external_id(), f.ref("referral_id", "referrals", required=True),
        f.ref("service_id", "services", required=True), f.date("sent_on", required=True,
                                                               care=True),
        f.staff_user("sent_by_id", required=True),
        f.text("reason", limits.REASON, required=True),
        f.codes("needs", SupportCategory), f.text("risk_information"),
        f.code("status", OnwardStatus, required=True), f.date("responded_on", care=True),
        f.staff_user("responded_by_id"), f.code("decline_reason", DeclineReason),
        f.text("decline_note"), f.date("closed_on", care=True),
        f.code("outcome", ClosureOutcome), f.text("outcome_note"),
        f.datetime("flagged_unanswered_at"),
        f.code("consent_given_by", ConsentGiver, required=True),
        f.text("consent_given_by_name", 200), f.date("consent_given_on", required=True,
                                                     care=True),
        f.text("consent_purpose", 300, required=True), f.date("consent_expires_on",
                                                              required=True),
        f.boolean("consent_includes_risk"), f.date("consent_withdrawn_on", care=True),
        f.text("consent_withdrawal_note"),
    ]

    def load(self, *, pks=None):
        loaded = super().load(pks=pks)
        consents = Consent.objects.filter(onward_referral_id__in=list(loaded)).values(
            "onward_referral_id", *CONSENT_COLUMNS.values())
        for consent in consents:
            values = loaded[consent["onward_referral_id"]]
            values.update({column: consent[attname]
                           for column, attname in CONSENT_COLUMNS.items()})
        rows = self.queryset().filter(pk__in=list(loaded)).values_list(
            "id", "shared", "person_id", "organisation_id")
        for pk, shared, person, organisation in rows:
            values = loaded[pk]
            values.update(risk_information=(shared or {}).get("risk", ""), _person=person,
                          _organisation=organisation)
        return loaded

    def check(self, values, ctx, errors):
        status = values["status"]
        referral = ctx.values("referrals", values["referral_id"])
        service = ctx.values("services", values["service_id"])
        values["_person"] = referral.get("person_id")
        values["_organisation"] = service.get("organisation_id")
        if referral.get("received_on") and values["sent_on"] < referral["received_on"]:
            errors.append(("sent_on", "This is before the referral was received."))
        answered = status in {OnwardStatus.ACCEPTED, OnwardStatus.IN_PROGRESS,
                              OnwardStatus.DECLINED, OnwardStatus.CLOSED}
        needs = {
            "responded_on": answered,
            "decline_reason": status == OnwardStatus.DECLINED,
            "closed_on": status == OnwardStatus.CLOSED,
            "outcome": status == OnwardStatus.CLOSED,
            "consent_withdrawn_on": status == OnwardStatus.WITHDRAWN,
        }
        label = OnwardStatus(status).label.lower()
        for column, needed in needs.items():
            if needed and not values[column]:
                errors.append((column, f"An onward referral that is {label} needs this."))
        for column in ["decline_reason", "outcome"]:
            if values[column] and not needs[column]:
                errors.append((column, f"An onward referral that is {label} cannot have this."))
        for later in ["responded_on", "closed_on"]:
            _after(values, later, "sent_on", errors, "This is before it was sent.")
        _after(values, "consent_expires_on", "consent_given_on", errors,
               "Consent cannot end before it was given.")
        _after(values, "sent_on", "consent_given_on", errors, "Consent must come before sending.")
        if values["risk_information"] and not values["consent_includes_risk"]:
            errors.append(("risk_information", "The person did not agree to share risk "
                                               "information (consent_includes_risk)."))
        if values["consent_given_by"] == ConsentGiver.REPRESENTATIVE and not values[
                "consent_given_by_name"]:
            errors.append(("consent_given_by_name", "Give the name of whoever consented for "
                                                    "the person."))

    def build(self, planned, ctx):
        onward = super().build(planned, ctx)
        values = planned.values
        onward.person_id = values["_person"]
        onward.organisation_id = values["_organisation"]
        return onward

    def create(self, planned, ctx):
        from vcse.services import minimal_data_set

        instances = [self.build(p, ctx) for p in planned]
        referrals = Referral.objects.in_bulk({p.values["referral_id"] for p in planned})
        persons = Person.objects.in_bulk({r.person_id for r in referrals.values()})
        for onward, p in zip(instances, planned, strict=True):
            referral = referrals[p.values["referral_id"]]
            referral.person = persons[referral.person_id]
            onward.sent_at = ctx.now
            onward.shared = minimal_data_set(referral, needs=p.values["needs"],
                                             risk=p.values["risk_information"])
        OnwardReferral.objects.bulk_create(instances, batch_size=2000)
        Consent.objects.bulk_create([self.consent(p, ctx) for p in planned], batch_size=2000)
        self.events(planned, ctx)

    def consent(self, planned: Planned, ctx: Context) -> Consent:
        values = planned.values
        return Consent(tenant_id=ctx.tenant_id, onward_referral_id=planned.pk,
                       organisation_id=values["_organisation"],
                       recorded_by_id=ctx.user_of(values["sent_by_id"]), recorded_at=ctx.now,
                       **{attname: values[column]
                          for column, attname in CONSENT_COLUMNS.items()})

    def update(self, planned, ctx):
        super().update(planned, ctx)
        for p in planned:
            changed = [CONSENT_COLUMNS[c] for c in p.changed if c in CONSENT_COLUMNS]
            if changed:
                Consent.objects.filter(onward_referral_id=p.pk).update(
                    **{attname: p.values[column] for column, attname in CONSENT_COLUMNS.items()
                       if attname in changed})
            if "risk_information" in p.changed:
                onward = OnwardReferral.objects.get(pk=p.pk)
                onward.shared = {**onward.shared, "risk": p.values["risk_information"]}
                onward.save(update_fields=["shared"])
        self.events(planned, ctx)

    def events(self, planned: list[Planned], ctx: Context) -> None:
        OnwardReferralEvent.objects.bulk_create(
            [OnwardReferralEvent(tenant_id=ctx.tenant_id, onward_referral_id=p.pk, at=ctx.now,
                                 effective_on=p.values["sent_on"] if p.is_new else ctx.today,
                                 actor=ctx.actor, actor_label=_actor_label(ctx),
                                 kind=OnwardEventKind.IMPORTED, to_status=p.values["status"],
                                 details={"changed": p.changed} if not p.is_new else {})
             for p in planned], batch_size=2000)


class VcseContacts(Recorded):
    name, noun, model, worker_column = "vcse_contacts", "VCSE contact", VcseContact, "staff_id"
    person_data = True
    columns = [
        f.external_id(), f.ref("onward_referral_id", "onward_referrals", required=True),
        f.ref("staff_id", "staff", required=True), f.date("on", required=True, care=True),
        f.code("mode", VcseContactMode, required=True),
        f.code("attendance", VcseAttendance, required=True),
        f.integer("duration_minutes", 0, 720), f.codes("support_types", SupportCategory),
        f.text("note", 500), *_recorded_columns(),
    ]

    def defaults(self, values, ctx):
        super().defaults(values, ctx)
        values["support_types"] = sorted(set(values["support_types"]))

    def check(self, values, ctx, errors):
        onward = ctx.values("onward_referrals", values["onward_referral_id"])
        values["_organisation"] = onward.get("_organisation") or onward.get("organisation_id")
        if onward.get("sent_on") and values["on"] < onward["sent_on"]:
            errors.append(("on", "This is before the onward referral was sent."))
        staff = ctx.values("staff", values["staff_id"])
        if staff.get("employer_id") != values["_organisation"]:
            errors.append(("staff_id", "This member of staff does not work for the organisation "
                                       "the onward referral was sent to."))

    def build(self, planned, ctx):
        contact = super().build(planned, ctx)
        contact.organisation_id = planned.values["_organisation"]
        return contact


KINDS: list[Kind] = [
    Organisations(), IntakePauses(), Teams(), Staff(), People(), Referrals(), Contacts(),
    Assessments(), CarePlans(), Interventions(), OutcomeMeasures(), Services(),
    OnwardReferrals(), VcseContacts(),
]
