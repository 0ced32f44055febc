"""Coded values for care records, and the outcome measures' scoring rules.

The groups beside each list (``QUALIFYING_MODES``, ``ASSESSING_KINDS`` ...) are the sets the
metrics in METRICS.md section 1 are defined on; keep them and the metric rules in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models


class ContactMode(models.TextChoices):
    FACE_TO_FACE = "face_to_face", "Face to face"
    TELEPHONE = "telephone", "Telephone"
    VIDEO = "video", "Video"
    TALK_TYPE = "talk_type", "Talk type (text relay)"
    TEXT_EMAIL = "text_email", "Text, email or messaging"
    OTHER = "other", "Other"


#: Modes a contact can count for the 4-week clock in (METRICS.md "qualifying contact").
QUALIFYING_MODES = frozenset(
    {ContactMode.FACE_TO_FACE, ContactMode.TELEPHONE, ContactMode.VIDEO, ContactMode.TALK_TYPE}
)


class Attendance(models.TextChoices):
    BOOKED = "booked", "Booked, not happened yet"
    ATTENDED = "attended", "Attended"
    DNA = "dna", "Did not attend"
    CANCELLED_BY_PATIENT = "cancelled_by_patient", "Cancelled by the person"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider", "Cancelled by us"


#: Outcomes of a contact that has happened (or was cancelled): never dated in the future.
OUTCOMES = frozenset(set(Attendance) - {Attendance.BOOKED})


class ContactPurpose(models.TextChoices):
    TRIAGE = "triage", "Triage"
    ASSESSMENT = "assessment", "Assessment"
    CARE_PLANNING = "care_planning", "Care planning"
    INTERVENTION = "intervention", "Intervention or therapy session"
    REVIEW = "review", "Review"
    SUPPORT = "support", "Support or check-in"
    ADVICE_TO_PROFESSIONAL = "advice_to_professional", "Advice to a GP or other professional"
    LIAISON = "liaison", "Liaison with another service"
    DISCHARGE = "discharge", "Discharge planning"
    OTHER = "other", "Other"


class AssessmentKind(models.TextChoices):
    INITIAL = "initial", "Initial assessment"
    BIOPSYCHOSOCIAL = "biopsychosocial", "Biopsychosocial assessment"
    RISK = "risk", "Risk assessment"
    SPECIALIST = "specialist", "Specialist assessment"
    CONSULTATION = "consultation", "Consultation only"
    SIGNPOSTING = "signposting", "Signposting"
    PROFESSIONAL_DISCUSSION = "professional_discussion", "Discussion between professionals"


#: Kinds that count as a meaningful assessment (METRICS.md section 1).
ASSESSING_KINDS = frozenset(
    {AssessmentKind.INITIAL, AssessmentKind.BIOPSYCHOSOCIAL, AssessmentKind.RISK,
     AssessmentKind.SPECIALIST}
)


class CoProducer(models.TextChoices):
    PERSON = "person", "The person"
    CARER = "carer", "A carer or family member"
    GP = "gp", "Their GP"
    VCSE = "vcse", "A voluntary sector partner"
    PEER_SUPPORT = "peer_support", "A peer support worker"
    OTHER_PROFESSIONAL = "other_professional", "Another professional"


class InterventionKind(models.TextChoices):
    PSYCHOLOGICAL_THERAPY = "psychological_therapy", "Psychological therapy"
    PSYCHOSOCIAL = "psychosocial", "Psychosocial intervention"
    MEDICATION_PHYSICAL_HEALTH = "medication_physical_health", "Medication or physical health"
    PEER_SUPPORT = "peer_support", "Peer support"
    COMMUNITY_CONNECTION = "community_connection", "Community connection"
    GROUP = "group", "Group activity"
    ADVICE_SIGNPOSTING = "advice_signposting", "Advice and signposting"


#: Clinical interventions: they count for the 4-week clock, and peer support workers and
#: community connectors do not record them.
CLINICAL_INTERVENTION_KINDS = frozenset(
    {InterventionKind.PSYCHOLOGICAL_THERAPY, InterventionKind.PSYCHOSOCIAL,
     InterventionKind.MEDICATION_PHYSICAL_HEALTH}
)


class OutcomeTool(models.TextChoices):
    DIALOG = "dialog", "DIALOG"
    REQOL10 = "reqol10", "ReQoL-10"
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
    CORE10 = "core10", "CORE-10"


@dataclass(frozen=True)
class Band:
    upto: int
    label: str


@dataclass(frozen=True)
class ToolSpec:
    """How one questionnaire is entered and scored.

    Items are entered as the scores the questionnaire's scoring key gives them (for CORE-10 and
    ReQoL-10 the key already reverses the positively worded items), so a total is their sum.
    DIALOG is scored as two means instead: the 8 life domains (subjective quality of life) and
    the 3 treatment aspects (treatment satisfaction).
    """

    tool: OutcomeTool
    items: tuple[str, ...]
    minimum: int
    maximum: int
    higher_is_better: bool
    asks_wants_more_help: bool = False
    bands: tuple[Band, ...] = ()

    @property
    def total_range(self) -> tuple[int, int]:
        if self.tool == OutcomeTool.DIALOG:
            return self.minimum, self.maximum
        return self.minimum * len(self.items), self.maximum * len(self.items)

    def score(self, items: list[int]) -> tuple[Decimal, dict[str, str]]:
        """The headline score, and any sub-scores by name (as strings, for JSON)."""
        if self.tool == OutcomeTool.DIALOG:
            quality_of_life = _mean(items[:DIALOG_LIFE_DOMAINS])
            satisfaction = _mean(items[DIALOG_LIFE_DOMAINS:])
            return quality_of_life, {
                "quality_of_life": str(quality_of_life),
                "treatment_satisfaction": str(satisfaction),
            }
        return Decimal(sum(items)), {}

    def band(self, score: Decimal) -> str:
        for band in self.bands:
            if score <= band.upto:
                return band.label
        return ""


def _mean(values: list[int]) -> Decimal:
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


DIALOG_LIFE_DOMAINS = 8

TOOLS: dict[str, ToolSpec] = {
    spec.tool.value: spec
    for spec in [
        ToolSpec(
            OutcomeTool.DIALOG,
            items=(
                "Mental health", "Physical health", "Job situation", "Accommodation",
                "Leisure activities", "Relationship with partner or family", "Friendships",
                "Personal safety", "Medication", "Practical help received",
                "Meetings with mental health professionals",
            ),
            minimum=1, maximum=7, higher_is_better=True, asks_wants_more_help=True,
        ),
        ToolSpec(
            OutcomeTool.REQOL10,
            items=tuple(f"Item {n}" for n in range(1, 11)),
            minimum=0, maximum=4, higher_is_better=True,
            bands=(Band(24, "Clinical range"), Band(40, "Non-clinical range")),
        ),
        ToolSpec(
            OutcomeTool.PHQ9,
            items=(
                "Interest or pleasure", "Low mood", "Sleep", "Tiredness or energy", "Appetite",
                "Feeling bad about oneself", "Concentration", "Slowed or restless",
                "Thoughts of self-harm or being better off dead",
            ),
            minimum=0, maximum=3, higher_is_better=False,
            bands=(Band(4, "Minimal"), Band(9, "Mild"), Band(14, "Moderate"),
                   Band(19, "Moderately severe"), Band(27, "Severe")),
        ),
        ToolSpec(
            OutcomeTool.GAD7,
            items=(
                "Nervous or on edge", "Unable to stop worrying", "Worrying too much",
                "Trouble relaxing", "Restlessness", "Irritability", "Feeling afraid",
            ),
            minimum=0, maximum=3, higher_is_better=False,
            bands=(Band(4, "Minimal"), Band(9, "Mild"), Band(14, "Moderate"),
                   Band(21, "Severe")),
        ),
        ToolSpec(
            OutcomeTool.CORE10,
            items=(
                "Tension or anxiety", "Someone to turn to (scored reversed)",
                "Able to cope (scored reversed)", "Talking to people too much", "Panic",
                "Plans to end life", "Sleep", "Despair or hopelessness", "Unhappiness",
                "Distressing images or memories",
            ),
            minimum=0, maximum=4, higher_is_better=False,
            bands=(Band(5, "Healthy"), Band(10, "Low"), Band(14, "Mild"), Band(19, "Moderate"),
                   Band(24, "Moderate to severe"), Band(40, "Severe")),
        ),
    ]
}
