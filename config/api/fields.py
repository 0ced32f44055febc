"""Serializer fields shared by the API's input serializers."""

from __future__ import annotations

from rest_framework import serializers

from config.limits import NoControlCharacters, too_long_message


def text(what: str, limit: int, *, multiline: bool = False, **kwargs) -> serializers.CharField:
    """A typed text with its limit (config.limits): too long or holding a control character is a
    400 naming the field, with the same message as the page's form.

    Everything goes through the constructor: DRF copies a declared field by calling it again
    with the same arguments."""
    return serializers.CharField(
        max_length=limit, validators=[NoControlCharacters(what, multiline=multiline)],
        error_messages={"max_length": too_long_message(what, limit)}, **kwargs)
