"""Checks and normalisers for identifiers people type in: NHS numbers and postcodes."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_NHS_SEPARATORS = re.compile(r"[\s-]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")  # ASCII only: str.isdigit() also accepts "²" or "٣"
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no valid number can end them."""
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(value: str) -> str:
    """Ten digits with no spaces, or ValidationError saying what is wrong."""
    digits = _NHS_SEPARATORS.sub("", value or "")
    if not _TEN_DIGITS.fullmatch(digits):
        raise ValidationError("Enter an NHS number with 10 digits, like 943 476 5919.",
                              code="nhs_number_format")
    if nhs_number_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            "This is not a valid NHS number: check the digits and try again.",
            code="nhs_number_check_digit",
        )
    return digits


def format_nhs_number(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def normalise_postcode(value: str) -> str:
    """Upper case with one space (S1 2HE), or ValidationError for something that is not one."""
    compact = re.sub(r"\s+", "", (value or "").upper())
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError("Enter a full UK postcode, like S1 2HE.", code="postcode")
    return f"{match[1]} {match[2]}"
