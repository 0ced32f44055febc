"""What the care plan and outcome measure pages show, so their templates hold no logic."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.urls import reverse

from caseload import alerts
from caseload.charts import change_text, format_score, score_chart, score_label
from caseload.codes import TOOLS, CoProducer, OutcomeTool
from caseload.models import CarePlan, CarePlanVersion, OutcomeMeasure
from caseload.plan_forms import help_field, item_field
from config.templating import uk_date, uk_datetime
from referrals.models import Referral
from referrals.presenters import nhs_number_text

# --------------------------------------------------------------------------- care plans


def paragraphs(text: str) -> list[str]:
    """Typed text as its lines, blank lines dropped: the pages show one line per paragraph."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def producers_text(codes: list[str]) -> str:
    return ", ".join(CoProducer(code).label for code in codes) or "Not recorded"


def agreed_text(version: CarePlanVersion) -> str:
    if version.agreed_on:
        return f"Agreed on {uk_date(version.agreed_on)}"
    return "Draft: not yet agreed with the person"


def status_tag(version: CarePlanVersion) -> dict[str, str]:
    if version.agreed_on:
        return {"text": "Agreed", "classes": "nhsuk-tag--green"}
    return {"text": "Draft", "classes": "nhsuk-tag--grey"}


def version_rows(version: CarePlanVersion) -> list[dict]:
    """A saved version as summary list rows. ``lines`` are shown one per line, ``items`` as a
    list."""
    return [
        {"key": "Goals, in the person's words", "items": list(version.goals)},
        {"key": "Written with", "lines": [producers_text(version.co_produced_with)]},
        {"key": "Agreed", "lines": [agreed_text(version)]},
        {"key": "What should prompt a review", "lines": paragraphs(version.review_trigger)},
        {"key": "Review by",
         "lines": [uk_date(version.review_by) if version.review_by else "No date agreed"]},
        {"key": "Safety and crisis plan", "lines": paragraphs(version.safety_plan)},
        {"key": "Saved",
         "lines": [f"{uk_datetime(version.recorded_at)} by {_name(version.recorded_by)}"]},
    ]


def _name(user) -> str:
    return user.get_full_name() or user.email


def history_rows(plan: CarePlan, versions, *, showing: int | None = None) -> list[dict]:
    """Every version of a plan, newest first, each linking to its read-only page."""
    return [
        {
            "number": version.number,
            "href": reverse("caseload:care-plan-version", args=[plan.pk, version.number]),
            "saved": uk_datetime(version.recorded_at),
            "by": _name(version.recorded_by),
            "agreed": uk_date(version.agreed_on) if version.agreed_on else "Draft",
            "current": version.number == plan.version,
            "showing": version.number == showing,
        }
        for version in versions
    ]


def plan_summary(plan: CarePlan, version: CarePlanVersion) -> dict:
    return {
        "number": version.number,
        "tag": status_tag(version),
        "rows": version_rows(version),
        "is_current": version.number == plan.version,
        "current_number": plan.version,
        "print_href": reverse("caseload:care-plan-print", args=[plan.pk]),
    }


#: How each co-producer reads on the person's own copy.
PRINT_PRODUCERS = {
    CoProducer.PERSON: "You",
    CoProducer.CARER: "A carer or family member",
    CoProducer.GP: "Your GP",
    CoProducer.VCSE: "A voluntary sector partner",
    CoProducer.PEER_SUPPORT: "A peer support worker",
    CoProducer.OTHER_PROFESSIONAL: "Another professional",
}


def printable_plan(referral: Referral, version: CarePlanVersion) -> dict:
    """The person's copy, worded to them."""
    person = referral.person
    worker = referral.worker.user if referral.worker_id else None
    return {
        "name": person.full_name,
        "nhs_number": nhs_number_text(person),
        "team": referral.team.name,
        "worker": _name(worker) if worker else "",
        "goals": list(version.goals),
        "written_with": [PRINT_PRODUCERS.get(code, CoProducer(code).label)
                         for code in version.co_produced_with],
        "agreed": (f"We agreed this plan with you on {uk_date(version.agreed_on)}."
                   if version.agreed_on else
                   "This plan is a draft. We have not agreed it with you yet."),
        "review_trigger": paragraphs(version.review_trigger),
        "review_by": (f"We will look at it again by {uk_date(version.review_by)} at the latest."
                      if version.review_by else ""),
        "safety_plan": paragraphs(version.safety_plan),
        "version": f"Version {version.number}, saved on {uk_date(version.recorded_at)}.",
    }


# --------------------------------------------------------------------------- outcome measures

#: What each tool's items are scored on, for the questionnaire page.
SCALE_HINTS = {
    OutcomeTool.DIALOG: "For each item, how satisfied is the person, from 1 (totally "
                        "dissatisfied) to 7 (totally satisfied)? Then ask whether they want "
                        "more help with it.",
    OutcomeTool.REQOL10: "Enter each item's score from the scoring key, 0 to 4. The key "
                         "reverses the positively worded items, so higher is always better.",
    OutcomeTool.PHQ9: "Over the last 2 weeks: 0 not at all, 1 several days, 2 more than half "
                      "the days, 3 nearly every day.",
    OutcomeTool.GAD7: "Over the last 2 weeks: 0 not at all, 1 several days, 2 more than half "
                      "the days, 3 nearly every day.",
    OutcomeTool.CORE10: "Enter each item's score from the scoring key, 0 to 4. Items 2 and 3 "
                        "are scored reversed, so higher always means more distress.",
}


def tool_choices(selected: str = "") -> list[dict]:
    items = []
    for tool, label in OutcomeTool.choices:
        spec = TOOLS[tool]
        hint = f"{len(spec.items)} items, each scored {spec.minimum} to {spec.maximum}"
        items.append({"value": tool, "text": label, "hint": {"text": hint},
                      "checked": tool == selected})
    return items


def questionnaire(form) -> dict:
    """One block per item: its score radios and, for DIALOG, the more-help radios."""
    spec = form.spec

    def posted(name: str) -> str:
        if form.is_bound:
            return form.data.get(name, "")
        return str(form.initial.get(name, ""))

    blocks = []
    for number, label in enumerate(spec.items, start=1):
        score_name = item_field(number)
        chosen = posted(score_name)
        block = {
            "name": score_name,
            "legend": f"Item {number}: {label}",
            "error": _error(form, score_name),
            "items": [{"value": str(n), "text": str(n), "checked": chosen == str(n)}
                      for n in range(spec.minimum, spec.maximum + 1)],
            "help": None,
        }
        if spec.asks_wants_more_help:
            name = help_field(number)
            answer = posted(name)
            block["help"] = {
                "name": name,
                "context": f"Item {number} ({label}): ",
                "legend": "Does the person want more help with this?",
                "error": _error(form, name),
                "items": [{"value": "yes", "text": "Yes", "checked": answer == "yes"},
                          {"value": "no", "text": "No", "checked": answer == "no"}],
            }
        blocks.append(block)
    return {"tool": spec.tool.label, "hint": SCALE_HINTS[spec.tool], "items": blocks}


def _error(form, name: str) -> dict | None:
    errors = form.errors.get(name)
    return {"text": str(errors[0])} if errors else None


def risk_flags(measure: OutcomeMeasure) -> dict | None:
    """A risk item scored above its threshold (the rules of caseload.alerts: PHQ-9 item 9,
    CORE-10 item 6)."""
    for rule, _text in alerts.rules_met(measure):
        spec = TOOLS[measure.tool]
        return {"tool": spec.tool.label, "item": rule.item, "label": spec.items[rule.item - 1],
                "score": measure.items[rule.item - 1], "date": uk_date(measure.completed_on)}
    return None


def risk_flag_text(flag: dict) -> str:
    return (f"{flag['date']}: {flag['tool']} item {flag['item']} ({flag['label']}) was scored "
            f"{flag['score']}.")


def saved_message(measure: OutcomeMeasure) -> str:
    spec = TOOLS[measure.tool]
    if measure.tool == OutcomeTool.DIALOG:
        text = (f"{spec.tool.label} recorded: quality of life "
                f"{format_score(measure.tool, measure.subscores['quality_of_life'])}, "
                f"treatment satisfaction "
                f"{format_score(measure.tool, measure.subscores['treatment_satisfaction'])}.")
    else:
        band = spec.band(measure.score)
        text = (f"{spec.tool.label} recorded: score {format_score(measure.tool, measure.score)}"
                f"{f' ({band})' if band else ''}.")
    flag = risk_flags(measure)
    if flag:
        text += (f" Item {flag['item']} ({flag['label']}) was scored above 0: review the "
                 "person's risk.")
    return text


def _columns(tool: str) -> list[dict]:
    spec = TOOLS[tool]
    columns = [{"text": "Date completed", "numeric": False}]
    if tool == OutcomeTool.DIALOG:
        columns += [{"text": "Quality of life", "numeric": True},
                    {"text": "Treatment satisfaction", "numeric": True}]
    else:
        columns.append({"text": "Score", "numeric": True})
    if spec.bands:
        columns.append({"text": "Band", "numeric": False})
    columns.append({"text": "Change from first", "numeric": False})
    return columns


def _row(measure: OutcomeMeasure, baseline: Decimal | None) -> list[str]:
    tool = measure.tool
    spec = TOOLS[tool]
    cells = [uk_date(measure.completed_on)]
    if tool == OutcomeTool.DIALOG:
        cells += [format_score(tool, measure.subscores.get("quality_of_life", measure.score)),
                  format_score(tool, measure.subscores.get("treatment_satisfaction", "0"))]
    else:
        cells.append(format_score(tool, measure.score))
    if spec.bands:
        cells.append(spec.band(measure.score))
    cells.append("First measure" if baseline is None
                 else change_text(tool, measure.score - baseline))
    return cells


def _more_help(measure: OutcomeMeasure) -> dict | None:
    spec = TOOLS[measure.tool]
    if not spec.asks_wants_more_help:
        return None
    wanted = [label for label, wants in zip(spec.items, measure.wants_more_help, strict=False)
              if wants]
    return {"date": uk_date(measure.completed_on), "items": wanted}


def outcome_sections(measures) -> list[dict]:
    """One section per tool used in the episode (in the tools' usual order): the chart, the
    table of numbers and, for DIALOG, what the person wanted more help with last time."""
    by_tool: dict[str, list[OutcomeMeasure]] = defaultdict(list)
    for measure in sorted(measures, key=lambda m: (m.completed_on, m.recorded_at)):
        by_tool[measure.tool].append(measure)
    sections = []
    for tool in TOOLS:
        taken = by_tool.get(tool)
        if not taken:
            continue
        baseline = taken[0].score
        sections.append({
            "id": f"tool-{tool}",
            "tool": TOOLS[tool].tool.label,
            "what": score_label(tool),
            "chart": score_chart(tool, [(m.completed_on, m.score) for m in taken]),
            "columns": _columns(tool),
            "rows": [_row(m, None if i == 0 else baseline) for i, m in enumerate(taken)],
            "more_help": _more_help(taken[-1]),
        })
    return sections


def outcome_risk_flags(measures) -> list[str]:
    """Every measure in the episode whose risk item was scored above its lowest answer, newest
    first."""
    flagged = [(m, risk_flags(m)) for m in measures]
    flagged = [(m, flag) for m, flag in flagged if flag]
    flagged.sort(key=lambda pair: (pair[0].completed_on, pair[0].recorded_at), reverse=True)
    return [risk_flag_text(flag) for _, flag in flagged]
