"""Reads of the directory and of onward referrals, scoped to the user before anything else.

Two sides see an onward referral, through different selectors that never meet:

- the **referring side** (``onward_referrals_for_user``): clinical staff who may see the
  person's referral (referrals.selectors), with everything about it;
- the **partner's side** (``inbox_for_user``): VCSE staff of the receiving organisation, and
  only while consent stands (not withdrawn, not expired). These querysets never join the person
  or the referral: partner pages show the ``shared`` snapshot and nothing else.

``*_get_for_user`` raises 404 for missing and for not-yours alike.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone

from pcns.models import Membership, Organisation, OrganisationKind, Role, Team, TeamKind, User
from pcns.roles import CLINICAL_ROLES, VCSE_ROLES
from pcns.selectors import _membership_or_404
from referrals import selectors as referral_selectors
from referrals.models import Referral
from vcse.codes import OnwardStatus
from vcse.models import OnwardReferral, OnwardReferralEvent, Service, ServiceArea, VcseContact
from vcse.states import OPEN
from vcse.workdays import latest_start_for

#: Working days after which an unanswered onward referral is flagged.
UNANSWERED_WORKING_DAYS = 10

#: Inbox tabs: code -> (label, statuses shown).
INBOX_TABS = {
    "new": ("New", (OnwardStatus.SENT,)),
    "accepted": ("Accepted", (OnwardStatus.ACCEPTED,)),
    "in_progress": ("In progress", (OnwardStatus.IN_PROGRESS,)),
    "closed": ("Closed", (OnwardStatus.CLOSED, OnwardStatus.DECLINED)),
}


def _today() -> dt.date:
    return timezone.localdate()


def _get(queryset: QuerySet, pk: uuid.UUID):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, ValidationError):
        # A malformed id (from an API caller, say) is as missing as an unknown one.
        raise Http404 from None


def vcse_organisation_ids(membership: Membership) -> set[uuid.UUID]:
    """The VCSE organisations a member works for: their employer, and the hosts of the VCSE
    service teams they are in."""
    ids = set(
        Organisation.objects.filter(
            tenant_id=membership.tenant_id, kind=OrganisationKind.VCSE,
            teams__kind=TeamKind.VCSE_SERVICE, teams__is_active=True,
            teams__memberships=membership,
        ).values_list("pk", flat=True)
    )
    if membership.employer.kind == OrganisationKind.VCSE:
        ids.add(membership.employer_id)
    return ids


# --------------------------------------------------------------------------- the directory


def services_for_user(user: User) -> QuerySet[Service]:
    """Every service in the user's place, for any member of it."""
    membership = _membership_or_404(user)
    return (Service.objects.filter(tenant_id=membership.tenant_id)
            .select_related("organisation")
            .prefetch_related(Prefetch("areas", queryset=Organisation.objects.order_by("name")))
            .order_by("name", "id"))


def service_get_for_user(user: User, service_id: uuid.UUID) -> Service:
    return _get(services_for_user(user), service_id)


def services_search(services: QuerySet[Service], *, need: str = "", area=None,
                    open_only: bool = False, text: str = "") -> QuerySet[Service]:
    """Narrow a directory queryset: by a need (category), by a PCN (services covering it, and
    those that cover the whole place), open to referrals, and words in the name or description."""
    if need:
        services = services.filter(categories__contains=[need])
    if area is not None:
        covers = ServiceArea.objects.filter(service=OuterRef("pk"), organisation=area)
        any_area = ServiceArea.objects.filter(service=OuterRef("pk"))
        services = services.filter(Exists(covers) | ~Exists(any_area))
    if open_only:
        services = services.filter(is_open=True)
    if text:
        services = services.filter(Q(name__icontains=text) | Q(description__icontains=text)
                                   | Q(organisation__name__icontains=text))
    return services


def published_services(tenant_id: uuid.UUID) -> QuerySet[Service]:
    """The open directory feed: published services of one tenant (no user; no personal data)."""
    return (Service.objects.filter(tenant_id=tenant_id, is_published=True)
            .select_related("organisation")
            .prefetch_related(Prefetch("areas", queryset=Organisation.objects.order_by("name")))
            .order_by("name", "id"))


def organisations_user_may_list_for(user: User) -> QuerySet[Organisation]:
    """VCSE organisations whose services the user maintains: all for a tenant administrator,
    their own for a VCSE lead."""
    membership = _membership_or_404(user)
    organisations = Organisation.objects.filter(tenant_id=membership.tenant_id,
                                                kind=OrganisationKind.VCSE).order_by("name")
    if membership.role == Role.TENANT_ADMIN:
        return organisations
    if membership.role == Role.VCSE_LEAD:
        return organisations.filter(pk__in=vcse_organisation_ids(membership))
    return organisations.none()


# --------------------------------------------------------------------------- the referring side


def onward_referrals_for_user(user: User) -> QuerySet[OnwardReferral]:
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES:
        return OnwardReferral.objects.none()
    visible = referral_selectors.referral_list_for_user(user).values("pk")
    return (OnwardReferral.objects.filter(tenant_id=membership.tenant_id, referral__in=visible)
            .select_related("service", "organisation", "consent", "sent_by", "person",
                            "referral__team")
            .annotate(contact_count=Count("contacts"))
            .order_by("-sent_at"))


def onward_referral_get_for_user(user: User, onward_id: uuid.UUID) -> OnwardReferral:
    return _get(onward_referrals_for_user(user), onward_id)


def onward_referrals_of(referral: Referral) -> QuerySet[OnwardReferral]:
    """The onward referrals made from a referral (the caller has already fetched the referral
    through a selector)."""
    return (OnwardReferral.objects.filter(tenant_id=referral.tenant_id, referral=referral)
            .select_related("service", "organisation", "consent")
            .annotate(contact_count=Count("contacts"))
            .order_by("-sent_at"))


# --------------------------------------------------------------------------- the partner's side


def _consent_stands(today: dt.date) -> Q:
    return Q(consent__withdrawn_on__isnull=True, consent__expires_on__gte=today)


def inbox_for_user(user: User) -> QuerySet[OnwardReferral]:
    """Onward referrals to the user's VCSE organisation(s) whose consent still stands."""
    membership = _membership_or_404(user)
    if membership.role not in VCSE_ROLES:
        return OnwardReferral.objects.none()
    return (OnwardReferral.objects
            .filter(tenant_id=membership.tenant_id,
                    organisation_id__in=vcse_organisation_ids(membership))
            .filter(_consent_stands(_today()))
            .exclude(status=OnwardStatus.WITHDRAWN)
            .select_related("service", "organisation", "consent", "sent_by")
            .annotate(contact_count=Count("contacts"))
            .order_by("sent_on", "sent_at", "id"))


def inbox_get_for_user(user: User, onward_id: uuid.UUID) -> OnwardReferral:
    return _get(inbox_for_user(user), onward_id)


def _access_ended(today: dt.date) -> Q:
    """The partner's access has ended: withdrawn, or consent withdrawn or past its end date."""
    return (Q(status=OnwardStatus.WITHDRAWN) | Q(consent__withdrawn_on__isnull=False)
            | Q(consent__expires_on__lt=today))


def partner_access_ended(onward: OnwardReferral, today: dt.date | None = None) -> bool:
    """``_access_ended`` for one onward referral (its consent loaded)."""
    consent = onward.consent
    return (onward.status == OnwardStatus.WITHDRAWN or consent.withdrawn_on is not None
            or consent.expires_on < (today or _today()))


def _tab_q(tab: str, today: dt.date) -> Q:
    """The Closed tab also keeps the onward referrals whose access has ended, so the partner
    sees they were withdrawn rather than losing them (shown without personal details)."""
    statuses = INBOX_TABS[tab][1]
    shown = _consent_stands(today) & Q(status__in=statuses)
    return shown | _access_ended(today) if tab == "closed" else shown


def _partner_rows(membership: Membership) -> QuerySet[OnwardReferral]:
    return OnwardReferral.objects.filter(tenant_id=membership.tenant_id,
                                         organisation_id__in=vcse_organisation_ids(membership))


def inbox_tab(user: User, tab: str) -> QuerySet[OnwardReferral]:
    if tab != "closed":
        statuses = INBOX_TABS.get(tab, INBOX_TABS["new"])[1]
        return inbox_for_user(user).filter(status__in=statuses)
    membership = _membership_or_404(user)
    if membership.role not in VCSE_ROLES:
        return OnwardReferral.objects.none()
    # Most recently finished first: withdrawn, closed or declined, whichever came last.
    finished = Greatest("closed_on", "responded_on", "consent__withdrawn_on")
    return (_partner_rows(membership).filter(_tab_q("closed", _today()))
            .select_related("service", "organisation", "consent", "sent_by")
            .annotate(contact_count=Count("contacts"), finished_on=finished)
            .order_by(F("finished_on").desc(nulls_last=True), "-sent_on", "id"))


def inbox_counts(user: User) -> dict[str, int]:
    """How many onward referrals each tab shows, in one query."""
    membership = _membership_or_404(user)
    if membership.role not in VCSE_ROLES:
        return dict.fromkeys(INBOX_TABS, 0)
    today = _today()
    return _partner_rows(membership).aggregate(
        **{tab: Count("pk", filter=_tab_q(tab, today)) for tab in INBOX_TABS})


def sender_team_names(onward: OnwardReferral) -> list[str]:
    """The names of the sender's clinical teams, so the partner knows whom to call back."""
    return list(
        Team.objects.filter(tenant_id=onward.tenant_id, memberships__user_id=onward.sent_by_id)
        .exclude(kind=TeamKind.VCSE_SERVICE).order_by("name").values_list("name", flat=True)
    )


def contacts_of(onward: OnwardReferral) -> QuerySet[VcseContact]:
    return onward.contacts.select_related("staff__user").order_by("on", "recorded_at")


def events_of(onward: OnwardReferral) -> QuerySet[OnwardReferralEvent]:
    return onward.events.order_by("at", "id")


# --------------------------------------------------------------------------- the scheduled job


def unanswered_due(today: dt.date) -> QuerySet[OnwardReferral]:
    """Still new after 10 working days and not flagged yet (in the current tenant context)."""
    latest = latest_start_for(today, UNANSWERED_WORKING_DAYS)
    return OnwardReferral.objects.filter(status=OnwardStatus.SENT, sent_on__lte=latest,
                                         flagged_unanswered_at__isnull=True).filter(
        _consent_stands(today))


def consent_lapsed(today: dt.date) -> QuerySet[OnwardReferral]:
    """Still open though consent's end date has passed (in the current tenant context)."""
    return OnwardReferral.objects.filter(status__in=sorted(OPEN), consent__expires_on__lt=today,
                                         consent__withdrawn_on__isnull=True)


def vcse_leads_of(organisation: Organisation) -> QuerySet[Membership]:
    """Active VCSE leads of an organisation (employed by it, or in its service teams)."""
    return (Membership.objects
            .filter(tenant_id=organisation.tenant_id, role=Role.VCSE_LEAD, is_active=True,
                    user__is_active=True)
            .filter(Q(employer=organisation)
                    | Q(teams__host=organisation, teams__kind=TeamKind.VCSE_SERVICE,
                        teams__is_active=True))
            .select_related("user").distinct())
