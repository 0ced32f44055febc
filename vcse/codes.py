"""Code lists for the service directory, onward referrals and VCSE contacts."""

from __future__ import annotations

from django.db import models


class SupportCategory(models.TextChoices):
    """What a VCSE service offers, what a person needs from it, and what support was given:
    one list, so the directory, the onward referral and the activity report speak alike."""

    DEBT_ADVICE = "debt_advice", "Debt advice"
    WELFARE_BENEFITS = "welfare_benefits", "Welfare and benefits advice"
    HOLISTIC_NEEDS = "holistic_needs", "Holistic needs assessment"
    HOUSING = "housing", "Housing support"
    CARING = "caring", "Caring support"
    FUEL_POVERTY = "fuel_poverty", "Fuel poverty"
    PHYSICAL_HEALTH = "physical_health", "Physical health and exercise"
    VOLUNTEERING = "volunteering", "Volunteering"
    EMPLOYMENT = "employment", "Employment, training and education"
    SOCIAL_GROUPS = "social_groups", "Social groups"
    WALK_AND_TALK = "walk_and_talk", "Walk and talk"
    COMMUNITY_GARDEN = "community_garden", "Community garden"
    PEER_SUPPORT = "peer_support", "Peer support"
    PERSONAL_DEVELOPMENT = "personal_development", "Personal development"
    OTHER = "other", "Other support"


class ConsentGiver(models.TextChoices):
    PERSON = "person", "The person themselves"
    REPRESENTATIVE = "representative", "Someone acting for them (carer, advocate, attorney)"


class OnwardStatus(models.TextChoices):
    SENT = "sent", "New"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    DECLINED = "declined", "Declined"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn: consent ended"


class DeclineReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Not eligible for this service"
    NO_CAPACITY = "no_capacity", "No capacity at the moment"
    BETTER_ELSEWHERE = "better_elsewhere", "Another service would suit them better"
    PERSON_DECLINED = "person_declined", "The person did not want this support"
    NO_CONTACT = "no_contact", "Could not make contact"
    OTHER = "other", "Other reason"


class ClosureOutcome(models.TextChoices):
    COMPLETED = "completed", "Support completed"
    ONGOING = "ongoing", "Carrying on independently (a group, volunteering)"
    REFERRED_ON = "referred_on", "Referred on to another service"
    DISENGAGED = "disengaged", "Stopped engaging"
    PERSON_ENDED = "person_ended", "The person ended the support"
    OTHER = "other", "Other"


class VcseContactMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEPHONE = "telephone", "Telephone"
    VIDEO = "video", "Video"
    TEXT = "text", "Text message or email"
    GROUP = "group", "Group session"


class VcseAttendance(models.TextChoices):
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class OnwardEventKind(models.TextChoices):
    SENT = "sent", "Sent with consent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CONTACT_LOGGED = "contact_logged", "Contact logged"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Consent withdrawn"
    CONSENT_ENDED = "consent_ended", "Consent reached its end date"
    FLAGGED_UNANSWERED = "flagged_unanswered", "No answer after 10 working days"
    IMPORTED = "imported", "Imported from another system"


class MessageSide(models.TextChoices):
    """Who wrote a message about an onward referral."""

    REFERRER = "referrer", "The referring team"
    PARTNER = "partner", "The partner organisation"


#: ORUK service status for a directory entry.
ORUK_STATUS = {True: "active", False: "inactive"}

#: Gender groups of the VCSE activity table.
GENDER_GROUPS = (("male", "Male"), ("female", "Female"), ("other", "Other or not stated"))
