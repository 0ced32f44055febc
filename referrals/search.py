"""Find a patient: by NHS number, by name spelled any likely way, by date of birth.

Results come only from the people the user may see (``selectors.person_list_for_user``). A person
known only to other teams of the place is found by their exact NHS number alone ("no wrong
door"), and then only as the teams that know them and whom to ask there, never their details.
Nothing here ever looks outside the user's tenant, so a person of another place answers exactly
as someone nobody knows.

Searching costs the same few queries however many people match: one for the people (with their
visible referrals prefetched), and, for an NHS number nobody here may see, one for the teams
that know it and one for their leads.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import F, FloatField, Func, Prefetch, Q, Value
from django.db.models.functions import Concat, Greatest

from pcns.models import Membership, Team, TeamMembership, User
from pcns.permissions import _membership
from pcns.roles import CLINICAL_ROLES, LEAD_ROLES
from pcns.selectors import _membership_or_404
from referrals import selectors
from referrals.models import Person, Referral
from referrals.validators import normalise_nhs_number

#: Most people a search shows; more means the search should be narrowed.
MAX_RESULTS = 50
#: How close a name must be (pg_trgm word similarity, 0 to 1) to count as a match, unless the
#: family name sounds the same (double metaphone). 0.5 finds "Smyth" for "Smith".
NAME_SIMILARITY = 0.5

_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMBER = re.compile(r"^[\d\s-]+$")
#: A word of a name: letters (digits too, as some records hold them), with apostrophes, hyphens
#: or full stops inside.
_NAME = re.compile(r"^(?=.*[^\W\d_])[^\W_]+(?:['\u2019.\-][^\W_]+)*\.?$")


class Kind:
    NHS_NUMBER = "NHS number"
    NAME = "name"
    DATE_OF_BIRTH = "date of birth"
    NAME_AND_DATE_OF_BIRTH = "name and date of birth"


@dataclass(frozen=True)
class Query:
    """What was asked for, once understood. ``kind`` is what the audit log records: never the
    terms themselves."""

    kind: str
    nhs_number: str = ""
    words: tuple[str, ...] = ()
    date_of_birth: dt.date | None = None


def _sees_allocated_only(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and selectors.sees_allocated_only(membership)


def can_search_people(user: User) -> bool:
    """Clinical staff: the people their teams hold, and others by NHS number."""
    membership = _membership(user)
    return membership is not None and membership.role in CLINICAL_ROLES


def parse_query(text: str) -> Query:
    """Understand what was typed: ten digits (spaces or hyphens allowed) are an NHS number,
    checked like any other; a date (03/12/1980, 3.12.1980 or 1980-12-03) is a date of birth;
    words are a name; a name and a date of birth together narrow each other."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Enter an NHS number, a name or a date of birth.")
    if _NUMBER.match(text) and not _date_or_none(text):
        return Query(kind=Kind.NHS_NUMBER, nhs_number=normalise_nhs_number(text))
    date_of_birth = None
    words = []
    for token in text.replace(",", " ").split():
        found = _date_or_none(token)
        if found is not None:
            if date_of_birth is not None:
                raise ValidationError("Enter one date of birth.")
            date_of_birth = found
        elif _NAME.match(token):
            words.append(token.lower())
        else:
            raise ValidationError("Enter an NHS number (10 digits), a name, or a date of birth "
                                  "like 03/12/1980.")
    if not words:
        return Query(kind=Kind.DATE_OF_BIRTH, date_of_birth=date_of_birth)
    if sum(len(word) for word in words) < 2:
        raise ValidationError("Enter at least 2 letters of a name.")
    return Query(kind=Kind.NAME if date_of_birth is None else Kind.NAME_AND_DATE_OF_BIRTH,
                 words=tuple(words), date_of_birth=date_of_birth)


def _date_or_none(token: str) -> dt.date | None:
    """A date if ``token`` is written as one; ValidationError if it is not a real date."""
    if match := _UK_DATE.match(token):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(token):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValidationError("Enter a real date of birth, like 03/12/1980.") from None


@dataclass
class KnownElsewhere:
    """A team of the place that holds a referral for the NHS number searched, and its leads."""

    team: Team
    leads: list[Membership] = field(default_factory=list)


@dataclass
class Found:
    query: Query
    people: list[Person]
    more: bool = False
    elsewhere: list[KnownElsewhere] = field(default_factory=list)
    #: The people an answer of ``elsewhere`` is about (audited, never shown).
    elsewhere_people: set = field(default_factory=set)


def _dmetaphone(expression):
    return Func(expression, function="dmetaphone")


def search_people(user: User, query: Query) -> Found:
    """The people ``user`` may see who match ``query``, closest first (each with the referrals
    the user may see, as ``visible_referrals``), and, for an NHS number held only by other
    teams, those teams."""
    people = selectors.person_list_for_user(user).prefetch_related(Prefetch(
        "referrals",
        queryset=selectors.referral_list_for_user(user).order_by("-received_on", "id"),
        to_attr="visible_referrals",
    ))
    if query.nhs_number:
        people = people.filter(nhs_number=query.nhs_number)
    if query.date_of_birth is not None:
        people = people.filter(date_of_birth=query.date_of_birth)
    order = ["family_name", "given_name", "date_of_birth", "id"]
    if query.words:
        typed = " ".join(query.words)
        full_name = Concat("given_name", Value(" "), "family_name")
        sounds = Q()
        for word in query.words:
            if len(word) >= 2:
                sounds |= Q(family_sound=_dmetaphone(Value(word)))
        people = people.annotate(
            score=Greatest(TrigramWordSimilarity(typed, full_name),
                           TrigramWordSimilarity(typed, "family_name"),
                           output_field=FloatField()),
            family_sound=_dmetaphone(F("family_name")),
        ).filter(Q(score__gte=NAME_SIMILARITY) | sounds)
        order = ["-score", *order]
    found = list(people.order_by(*order)[:MAX_RESULTS + 1])
    result = Found(query=query, people=found[:MAX_RESULTS], more=len(found) > MAX_RESULTS)
    if query.kind == Kind.NHS_NUMBER and not found and not _sees_allocated_only(user):
        # Peer support workers and connectors (least privilege) are not told which teams know
        # a number: that alone says the person is known to mental health services.
        result.elsewhere, result.elsewhere_people = _known_elsewhere(user, query.nhs_number)
    return result


def _known_elsewhere(user: User, nhs_number: str) -> tuple[list[KnownElsewhere], set]:
    """The teams of the user's own place holding a referral for this NHS number, newest first,
    each with its clinical leads to contact, and who the answer is about (for the audit log).
    Two queries."""
    membership = _membership_or_404(user)
    referrals = (Referral.objects.filter(tenant_id=membership.tenant_id,
                                         person__nhs_number=nhs_number,
                                         person__merged_into__isnull=True)
                 .select_related("team", "team__host").order_by("-received_on", "id"))
    teams: dict = {}
    people = set()
    for referral in referrals:
        teams.setdefault(referral.team_id, KnownElsewhere(team=referral.team))
        people.add(referral.person_id)
    if teams:
        leads = (TeamMembership.objects.filter(
            tenant_id=membership.tenant_id, team_id__in=list(teams),
            membership__role__in=sorted(LEAD_ROLES), membership__is_active=True,
        ).select_related("membership__user")
         .order_by("membership__user__last_name", "membership__user__first_name"))
        for lead in leads:
            teams[lead.team_id].leads.append(lead.membership)
    return list(teams.values()), people
