"""Coded values for people and referrals.

Where a national code list exists we use its codes (ethnic category from the NHS Data Dictionary);
elsewhere short lower-case codes that stay stable across versions: metrics and imports key on them,
so a label may change but a code never does.
"""

from __future__ import annotations

from django.db import models


class EthnicCategory(models.TextChoices):
    """NHS Data Dictionary ETHNIC CATEGORY (2001 census categories)."""

    WHITE_BRITISH = "A", "White: British"
    WHITE_IRISH = "B", "White: Irish"
    WHITE_OTHER = "C", "White: any other White background"
    MIXED_WHITE_BLACK_CARIBBEAN = "D", "Mixed: White and Black Caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "E", "Mixed: White and Black African"
    MIXED_WHITE_ASIAN = "F", "Mixed: White and Asian"
    MIXED_OTHER = "G", "Mixed: any other mixed background"
    ASIAN_INDIAN = "H", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "J", "Asian or Asian British: Pakistani"
    ASIAN_BANGLADESHI = "K", "Asian or Asian British: Bangladeshi"
    ASIAN_OTHER = "L", "Asian or Asian British: any other Asian background"
    BLACK_CARIBBEAN = "M", "Black or Black British: Caribbean"
    BLACK_AFRICAN = "N", "Black or Black British: African"
    BLACK_OTHER = "P", "Black or Black British: any other Black background"
    CHINESE = "R", "Other ethnic groups: Chinese"
    OTHER = "S", "Other ethnic groups: any other ethnic group"
    NOT_STATED = "Z", "Not stated"
    NOT_KNOWN = "99", "Not known"


#: The five broad groups used in published statistics, keyed by ethnic category code.
ETHNIC_BROAD_GROUP = {
    **dict.fromkeys("ABC", "White"),
    **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian or Asian British"),
    **dict.fromkeys("MNP", "Black or Black British"),
    **dict.fromkeys("RS", "Other ethnic groups"),
    "Z": "Not stated or not known",
    "99": "Not stated or not known",
}


class Sex(models.TextChoices):
    """Person stated sex (at birth or as registered)."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INDETERMINATE = "indeterminate", "Indeterminate"
    NOT_KNOWN = "not_known", "Not known"


class Gender(models.TextChoices):
    """Person stated gender identity."""

    FEMALE = "female", "Female (including trans woman)"
    MALE = "male", "Male (including trans man)"
    NON_BINARY = "non_binary", "Non-binary"
    OTHER = "other", "Other"
    NOT_STATED = "not_stated", "Not stated"
    NOT_KNOWN = "not_known", "Not known"


class ContactMethod(models.TextChoices):
    TELEPHONE = "telephone", "Telephone"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"


class NhsNumberMissingReason(models.TextChoices):
    NOT_YET_TRACED = "not_yet_traced", "Not traced yet"
    NOT_REGISTERED = "not_registered", "Not registered with a GP"
    OVERSEAS_VISITOR = "overseas_visitor", "Overseas visitor"
    DECLINED = "declined", "Person declined to give it"
    OTHER = "other", "Other"


class Source(models.TextChoices):
    GP = "gp", "GP"
    SELF = "self", "Self-referral"
    CARER = "carer", "Carer or family"
    TALKING_THERAPIES = "talking_therapies", "NHS Talking Therapies"
    SECONDARY_CARE = "secondary_care", "Secondary care or single point of access"
    VCSE = "vcse", "VCSE organisation"
    POLICE = "police", "Police"
    OTHER_AGENCY = "other_agency", "Other agency"
    DIRECT_BOOKING = "direct_booking", "Direct booking by the practice"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


#: Sort key: most urgent first.
URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


class PresentingNeed(models.TextChoices):
    LOW_MOOD = "low_mood", "Low mood or depression"
    ANXIETY = "anxiety", "Anxiety"
    PSYCHOSIS = "psychosis", "Psychosis or unusual experiences"
    BIPOLAR = "bipolar", "Bipolar disorder"
    COMPLEX_EMOTIONAL = "complex_emotional", "Complex emotional needs"
    TRAUMA = "trauma", "Trauma or PTSD"
    EATING = "eating", "Eating difficulties"
    OCD = "ocd", "Obsessive-compulsive difficulties"
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDAL_THOUGHTS = "suicidal_thoughts", "Suicidal thoughts"
    SUBSTANCE_USE = "substance_use", "Alcohol or drug use"
    NEURODEVELOPMENTAL = "neurodevelopmental", "Neurodevelopmental needs"
    BEREAVEMENT = "bereavement", "Bereavement"
    ISOLATION = "isolation", "Loneliness or isolation"
    HOUSING = "housing", "Housing"
    MONEY = "money", "Money, debt or benefits"
    EMPLOYMENT = "employment", "Work or employment"
    PHYSICAL_HEALTH = "physical_health", "Physical health"
    MEDICATION = "medication", "Medication review"
    CARER_STRESS = "carer_stress", "Caring responsibilities"
    OTHER = "other", "Other"


class RedirectDestination(models.TextChoices):
    TALKING_THERAPIES = "talking_therapies", "NHS Talking Therapies"
    SECONDARY_CARE = "secondary_care", "Secondary care"
    CRISIS = "crisis", "Crisis team"
    VCSE = "vcse", "VCSE organisation"
    OTHER = "other", "Other service"


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Does not meet the service's criteria"
    NOT_REGISTERED = "not_registered", "Not registered with a practice the team covers"
    INSUFFICIENT_INFORMATION = "insufficient_information", "Not enough information to triage"
    DECLINED = "declined", "The person did not want the referral"
    DUPLICATE = "duplicate", "Duplicate of another referral"
    OTHER = "other", "Other"


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    NO_CONTACT = "no_contact", "No contact or did not attend"
    MOVED_AWAY = "moved_away", "Moved away"
    STEPPED_UP = "stepped_up", "Stepped up to secondary care"
    STEPPED_DOWN = "stepped_down", "Stepped down to primary care"
    DECLINED = "declined", "Declined further support"
    DIED = "died", "Died"
    OTHER = "other", "Other"
