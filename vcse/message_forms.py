"""The message form of an onward referral's thread (vcse/messages.py checks the rules)."""

from __future__ import annotations

from django import forms

from config import limits
from config.forms import text


class MessageForm(forms.Form):
    body = text("Your message", limits.MESSAGE, multiline=True, required=True,
                error_messages={"required": "Enter your message."})
