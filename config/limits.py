"""Limits on all input: the one source for how long typed text may be, which characters it may
hold, and how large an import may be.

Models, forms, API serializers and the dataset import all read these names, so a limit is
changed here and nowhere else. Text may not hold control characters (a NUL byte breaks
PostgreSQL; the others have no business in a note): multi-line text may keep tab, newline and
carriage return, one-line text none at all.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.deconstruct import deconstructible

# --- typed text, in characters -------------------------------------------------------------------

#: Names: a person's given or family name, a service's or a team's name.
NAME = 100
#: One line: an address, a purpose, a short description, a search.
LINE = 300
#: One goal of a care plan.
GOAL = 500
#: Reasons and short notes (a reason for referral, a decision's note).
REASON = 5_000
#: Long free text: notes, summaries, plans, concerns, a service's description.
NOTE = 10_000
#: A message between a referring team and a VCSE partner about an onward referral.
MESSAGE = 2_000
#: A value in a query string (a filter, a search): longer ones are refused with a 400.
QUERY_VALUE = 1_000

# --- imports (pcns/dataset) ---------------------------------------------------------------------

#: Files in one zip (the format has fewer; anything more is not one of our datasets).
IMPORT_MAX_FILES = 50
#: Bytes the files of one import may expand to, all together.
IMPORT_MAX_EXPANDED_BYTES = 200 * 1024 * 1024
#: How many times larger than its compressed size a file may be (CSV rarely passes 20).
IMPORT_MAX_RATIO = 100
#: Rows in one file, the header not counted.
IMPORT_MAX_ROWS = 2_000_000
#: Characters in one cell: a longer cell stops the file (shorter ones over a column's own
#: limit are row errors naming the column).
IMPORT_MAX_CELL_CHARS = 1_000_000
#: Failing rows kept in an import's report (stored with the run); the rest are only counted.
IMPORT_MAX_REPORTED_ERRORS = 1_000

# --- characters ---------------------------------------------------------------------------------

#: C0 controls and DEL, except tab, newline and carriage return.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Every C0 control and DEL.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")

CONTROL_MESSAGE = "{label} must not contain control characters (such as a NUL byte)"


def has_control_characters(value: str, *, multiline: bool = True) -> bool:
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL_ONE_LINE
    return bool(pattern.search(value))


def too_long_message(label: str, limit: int) -> str:
    return f"{label} must be {limit:,} characters or fewer"


@deconstructible
class NoControlCharacters:
    """Refuse text with control characters (tab, newline and CR allowed when multi-line)."""

    code = "control_characters"

    def __init__(self, label: str = "This", *, multiline: bool = True):
        self.label = label
        self.multiline = multiline

    def __call__(self, value) -> None:
        if isinstance(value, str) and has_control_characters(value, multiline=self.multiline):
            raise ValidationError(CONTROL_MESSAGE.format(label=self.label), code=self.code)

    def __eq__(self, other) -> bool:
        return (isinstance(other, NoControlCharacters) and self.label == other.label
                and self.multiline == other.multiline)

    def __hash__(self) -> int:
        return hash((self.label, self.multiline))


def max_length_validator(label: str, limit: int) -> MaxLengthValidator:
    return MaxLengthValidator(limit, message=too_long_message(label, limit))


def text_validators(label: str, limit: int, *, multiline: bool = True) -> list:
    """The validators of a typed text: its length and its characters."""
    return [max_length_validator(label, limit), NoControlCharacters(label, multiline=multiline)]


# --- models --------------------------------------------------------------------------------------


def text_field(verbose_name: str, limit: int, **kwargs) -> models.TextField:
    """A model's multi-line text with its limit: ``max_length`` reaches model forms and
    serializers, the validators ``full_clean``; ``length_constraint`` adds the database's check."""
    return models.TextField(verbose_name, max_length=limit,
                            validators=text_validators(verbose_name.capitalize(), limit),
                            **kwargs)


def length_constraint(model_name: str, field: str, limit: int) -> models.CheckConstraint:
    """The database's own check of a text column's length (what no bulk write can get past)."""
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit),
                                  name=f"{model_name}_{field}_max_length")


def length_constraints(model_name: str, fields: dict[str, int]) -> list[models.CheckConstraint]:
    return [length_constraint(model_name, field, limit) for field, limit in fields.items()]
