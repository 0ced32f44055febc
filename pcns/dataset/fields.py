"""Columns of the dataset format: how each kind of value is read from a CSV cell and written back.

Every parser takes the cell's text and returns the normalised Python value, or raises
``CellError`` with a message that names what was expected. Every formatter is the inverse for a
normalised value, so ``format(parse(text))`` is stable and an export re-imports unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from config import limits

LIST_SEPARATOR = "|"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


class CellError(ValueError):
    """A cell that cannot be read; the message is shown in the import report."""


@dataclass(frozen=True)
class Column:
    """One column of a file.

    ``ref`` names the kind an ``*_id`` (or ``*_ids``) column points at; its values are resolved
    to record ids by the importer, not by ``parse``. ``care_date`` marks dates of care, which may
    not be in the future.
    """

    name: str
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str]
    required: bool = False
    default: Any = None
    ref: str | None = None
    many: bool = False
    care_date: bool = False
    user: bool = False  # the model column is a sign-in (User) though the file names staff

    def read(self, text: str) -> Any:
        text = (text or "").strip()
        if limits.has_control_characters(text):
            raise CellError("This cell holds a control character (such as a NUL byte): "
                            "remove it.")
        if text == "":
            if self.required:
                raise CellError("This column is required.")
            return [] if self.many else self.default
        return self.parse(text)


# --- parsers and formatters -------------------------------------------------------------------

def _text(max_length: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise CellError(f"Use at most {max_length} characters (this has {len(text)}).")
        return text
    return parse


def _fmt_text(value: Any) -> str:
    return "" if value is None else str(value)


def _code(choices) -> Callable[[str], str]:
    values = list(choices.values)

    def parse(text: str) -> str:
        if text not in values:
            raise CellError(f"This is not a known code: use one of {', '.join(values)}.")
        return text
    return parse


def parse_date(text: str) -> dt.date:
    if not _DATE.match(text):
        raise CellError("This is not a date: write it as YYYY-MM-DD, like 2021-03-04.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellError("This is not a real date.") from None


def _fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def parse_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellError("This is not a date and time: write it like "
                        "2021-03-04T09:30:00+00:00.") from None
    if value.tzinfo is None:
        raise CellError("This date and time has no offset: add one, like +00:00.")
    return value.replace(microsecond=0)


def _fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def parse_time(text: str) -> dt.time:
    if not _TIME.match(text):
        raise CellError("This is not a time: write it as HH:MM, like 09:30.")
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise CellError("This is not a real time.") from None


def _fmt_time(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered not in {"true", "false"}:
        raise CellError("Write true or false.")
    return lowered == "true"


def _fmt_bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _integer(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"-?\d+", text):
            raise CellError("This is not a whole number.")
        value = int(text)
        if not minimum <= value <= maximum:
            raise CellError(f"This is outside {minimum} to {maximum}.")
        return value
    return parse


def _fmt_int(value: int | None) -> str:
    return "" if value is None else str(value)


def _decimal(minimum: Decimal, maximum: Decimal, places: int) -> Callable[[str], Decimal]:
    quantum = Decimal(1).scaleb(-places)

    def parse(text: str) -> Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise CellError("This is not a number.") from None
        if not value.is_finite() or not minimum <= value <= maximum:
            raise CellError(f"This is outside {minimum} to {maximum}.")
        if value != value.quantize(quantum):
            raise CellError(f"Use at most {places} decimal places.")
        return value.quantize(quantum)
    return parse


def _fmt_decimal(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _many(parse_one: Callable[[str], Any]) -> Callable[[str], list]:
    def parse(text: str) -> list:
        return [parse_one(part.strip()) for part in text.split(LIST_SEPARATOR)]
    return parse


def _fmt_many(fmt_one: Callable[[Any], str]) -> Callable[[Iterable], str]:
    return lambda values: LIST_SEPARATOR.join(fmt_one(v) for v in values or [])


def _nhs_number(text: str) -> str:
    from referrals.validators import normalise_nhs_number

    try:
        return normalise_nhs_number(text)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def _postcode(text: str) -> str:
    from referrals.validators import normalise_postcode

    try:
        return normalise_postcode(text)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def _email(text: str) -> str:
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        raise CellError("This is not an email address.") from None
    return text.lower()


# --- column makers used by the kinds ------------------------------------------------------------

def text(name: str, max_length: int = limits.NOTE, *, required: bool = False) -> Column:
    return Column(name, _text(max_length), _fmt_text, required=required, default="")


def code(name: str, choices, *, required: bool = False, default: str = "") -> Column:
    return Column(name, _code(choices), _fmt_text, required=required, default=default)


def texts(name: str, max_length: int = limits.NOTE) -> Column:
    return Column(name, _many(_text(max_length)), _fmt_many(_fmt_text), many=True)


def codes(name: str, choices) -> Column:
    return Column(name, _many(_code(choices)), _fmt_many(_fmt_text), many=True)


def date(name: str, *, required: bool = False, care: bool = False) -> Column:
    return Column(name, parse_date, _fmt_date, required=required, care_date=care)


def datetime(name: str, *, required: bool = False) -> Column:
    return Column(name, parse_datetime, _fmt_datetime, required=required)


def time(name: str) -> Column:
    return Column(name, parse_time, _fmt_time)


def boolean(name: str, *, default: bool = False) -> Column:
    return Column(name, parse_bool, _fmt_bool, default=default)


def integer(name: str, minimum: int, maximum: int, *, required: bool = False) -> Column:
    return Column(name, _integer(minimum, maximum), _fmt_int, required=required)


def integers(name: str, minimum: int, maximum: int, *, required: bool = False) -> Column:
    return Column(name, _many(_integer(minimum, maximum)), _fmt_many(_fmt_int),
                  required=required, many=True)


def booleans(name: str) -> Column:
    return Column(name, _many(parse_bool), _fmt_many(_fmt_bool), many=True)


def decimal(name: str, minimum: str, maximum: str, places: int) -> Column:
    return Column(name, _decimal(Decimal(minimum), Decimal(maximum), places), _fmt_decimal)


def ref(name: str, kind: str, *, required: bool = False) -> Column:
    return Column(name, _text(100), _fmt_text, required=required, ref=kind)


def refs(name: str, kind: str) -> Column:
    return Column(name, _many(_text(100)), _fmt_many(_fmt_text), ref=kind, many=True)


def staff_user(name: str, *, required: bool = False) -> Column:
    """A column naming a member of staff that the model stores as their sign-in (User)."""
    return Column(name, _text(100), _fmt_text, required=required, ref="staff", user=True)


def nhs_number(name: str) -> Column:
    return Column(name, _nhs_number, _fmt_text, default="")


def postcode(name: str) -> Column:
    return Column(name, _postcode, _fmt_text, default="")


def email(name: str, *, required: bool = False) -> Column:
    return Column(name, _email, _fmt_text, required=required, default="")


def external_id() -> Column:
    return Column("id", _text(100), _fmt_text, required=True)
