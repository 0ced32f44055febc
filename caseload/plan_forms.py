"""Forms for the care plan and outcome measure pages. They check the shape of what was typed;
caseload/services.py checks the rules (dates against the referral, who may be named ...)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from caseload.codes import TOOLS, CoProducer, OutcomeTool
from caseload.models import CarePlanVersion
from caseload.services import CarePlanInput
from config import limits
from config.forms import UKDateField, add_service_errors, text

#: Goal boxes offered on the care plan form (more if a saved plan already has more goals).
GOAL_FIELDS = 6


def goal_field_names(count: int) -> list[str]:
    return [f"goal_{n}" for n in range(1, count + 1)]


class CarePlanForm(forms.Form):
    #: service field name -> form field name
    ALIASES = {"goals": "goal_1"}

    # The number of the plan's latest version the author read; 0 when starting the plan.
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    co_produced_with = forms.MultipleChoiceField(
        choices=CoProducer.choices,
        error_messages={"required": "Say who the plan was written with.",
                        "invalid_choice": "Choose who the plan was written with from the list."},
    )
    agreed_on = UKDateField(required=False, label_text="date the plan was agreed")
    review_trigger = text(
        "What should prompt a review", limits.REASON, multiline=True, required=True,
        error_messages={"required": "Say what should prompt a review of the plan."},
    )
    review_by = UKDateField(required=False, label_text="date to review the plan by")
    safety_plan = text(
        "Safety and crisis plan", limits.NOTE, multiline=True, required=True,
        error_messages={"required": "Enter the safety and crisis plan."},
    )

    def __init__(self, *args, goal_count: int = GOAL_FIELDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.goal_names = goal_field_names(max(goal_count, GOAL_FIELDS))
        for name in self.goal_names:
            self.fields[name] = text("Each goal", limits.GOAL)
        self.order_fields(["version", *self.goal_names, "co_produced_with", "agreed_on",
                           "review_trigger", "review_by", "safety_plan"])

    def clean_goal_1(self) -> str:
        # Checked on the first box (read from what was typed, as the other boxes are cleaned
        # after it), so the error is listed in page order.
        if not any(str(self.data.get(name, "")).strip() for name in self.goal_names):
            raise ValidationError("Enter at least one goal, in the person's words.")
        return self.cleaned_data["goal_1"]

    def goals(self) -> list[str]:
        values = (self.cleaned_data.get(name, "") for name in self.goal_names)
        return [value.strip() for value in values if value and value.strip()]

    def plan_input(self) -> CarePlanInput:
        data = self.cleaned_data
        return CarePlanInput(
            goals=self.goals(),
            co_produced_with=list(data["co_produced_with"]),
            review_trigger=data["review_trigger"],
            safety_plan=data["safety_plan"],
            agreed_on=data.get("agreed_on"),
            review_by=data.get("review_by"),
        )


def care_plan_initial(current: CarePlanVersion | None, version: int) -> dict:
    """The form's starting values: the current version's content, and the version read."""
    initial: dict = {"version": version}
    if current is None:
        return initial
    initial.update({
        "co_produced_with": list(current.co_produced_with),
        "agreed_on": current.agreed_on,
        "review_trigger": current.review_trigger,
        "review_by": current.review_by,
        "safety_plan": current.safety_plan,
    })
    initial.update(zip(goal_field_names(len(current.goals)), current.goals, strict=True))
    return initial


# --------------------------------------------------------------------------- outcome measures


class OutcomeToolForm(forms.Form):
    """Step 1: which questionnaire. Read from the query string (a tool is not personal data)."""

    tool = forms.ChoiceField(
        choices=OutcomeTool.choices,
        error_messages={"required": "Choose a questionnaire.",
                        "invalid_choice": "Choose a questionnaire from the list."},
    )


def item_field(number: int) -> str:
    return f"item_{number}"


def help_field(number: int) -> str:
    return f"help_{number}"


def _wants_help(value: str) -> bool:
    return value == "yes"


class OutcomeForm(forms.Form):
    """Step 2: one questionnaire, one field per item (and, for DIALOG, whether the person wants
    more help with each). The choices are the tool's score range, so each item's message says
    which item is wrong."""

    completed_on = UKDateField(label_text="date it was completed")

    def __init__(self, *args, tool: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tool = tool
        self.spec = spec = TOOLS[tool]
        scores = [(str(n), str(n)) for n in range(spec.minimum, spec.maximum + 1)]
        for number, label in enumerate(spec.items, start=1):
            self.fields[item_field(number)] = forms.TypedChoiceField(
                choices=scores, coerce=int,
                error_messages={
                    "required": f"Item {number} ({label}): enter a score.",
                    "invalid_choice": f"Item {number} ({label}): enter a score from "
                                      f"{spec.minimum} to {spec.maximum}.",
                },
            )
            if spec.asks_wants_more_help:
                message = (f"Item {number} ({label}): say whether the person wants more help "
                           "with this.")
                self.fields[help_field(number)] = forms.TypedChoiceField(
                    choices=[("yes", "Yes"), ("no", "No")], coerce=_wants_help,
                    error_messages={"required": message, "invalid_choice": message},
                )

    def items(self) -> list[int]:
        return [self.cleaned_data[item_field(n)] for n in range(1, len(self.spec.items) + 1)]

    def wants_more_help(self) -> list[bool] | None:
        if not self.spec.asks_wants_more_help:
            return None
        return [self.cleaned_data[help_field(n)] for n in range(1, len(self.spec.items) + 1)]


def add_outcome_errors(form: OutcomeForm, error: ValidationError) -> None:
    """A service error on the form: each item's message on that item's field (the service marks
    them with code "item" and the item's number), everything else as add_service_errors does."""
    if not hasattr(error, "error_dict"):
        add_service_errors(form, error)
        return
    rest: dict[str, list[ValidationError]] = {}
    for name, errors in error.error_dict.items():
        for each in errors:
            number = (each.params or {}).get("item") if each.code == "item" else None
            if name == "items" and number and item_field(number) in form.fields:
                form.add_error(item_field(number), each.messages)
            else:
                rest.setdefault(name, []).append(each)
    if rest:
        add_service_errors(form, ValidationError(rest))
