"""Working days now live in pcns.workdays (referral escalation needs them too, and pcns is the
floor every app may import); this name is kept for the VCSE code that imports it."""

from pcns.workdays import (  # noqa: F401
    is_working_day,
    latest_start_for,
    working_days_after,
    working_days_between,
)
