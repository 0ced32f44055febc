"""Form plumbing shared by every app's pages: the NHS.UK date input, and service errors."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from config.limits import NoControlCharacters, too_long_message


class DatePartsWidget(forms.Widget):
    """Reads the NHS.UK date input: ``<name>-day``, ``<name>-month`` and ``<name>-year``."""

    def value_from_datadict(self, data, files, name):
        parts = [data.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
        return parts if any(parts) else None

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{part}" in data for part in ("day", "month", "year"))


class UKDateField(forms.Field):
    """A date typed as day, month and year, with messages that say which part is wrong."""

    widget = DatePartsWidget

    def __init__(self, *, label_text: str = "date", **kwargs):
        self.label_text = label_text
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        day, month, year = value
        missing = [name for name, part in zip(("day", "month", "year"), value, strict=True)
                   if not part]
        if missing:
            raise ValidationError(f"The {self.label_text} must include a {' and '.join(missing)}.")
        try:
            if len(year) != 4 or len(month) > 2 or len(day) > 2:
                raise ValueError
            return dt.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise ValidationError(f"The {self.label_text} must be a real date.") from None

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(f"Enter the {self.label_text}.")


def date_parts(form: forms.Form, name: str) -> dict[str, str]:
    """The day, month and year to show back in a date input (typed values on an error)."""
    if form.is_bound:
        raw = form.fields[name].widget.value_from_datadict(form.data, None, name) or ["", "", ""]
        return dict(zip(("day", "month", "year"), raw, strict=True))
    value = form.initial.get(name) or form.fields[name].initial
    if isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    return {"day": "", "month": "", "year": ""}


def add_service_errors(form: forms.Form, error: ValidationError, *, aliases=None) -> None:
    """Put a service's ValidationError on the form: each message on its field when the form
    has it (``aliases`` maps service field names to form field names), else at the top."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages in error.message_dict.items():
        target = aliases.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def text(what: str, limit: int, *, multiline: bool = False, required: bool = False,
         **kwargs) -> forms.CharField:
    """A typed text with its limit (config.limits) and clear messages naming it by ``what``:
    "Reason for referral must be 5,000 characters or fewer"."""
    field = forms.CharField(required=required, max_length=limit,
                            widget=forms.Textarea if multiline else None, **kwargs)
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators += [MaxLengthValidator(limit, message=too_long_message(what, limit)),
                         NoControlCharacters(what, multiline=multiline)]
    return field
