"""Steps shared by the browser journeys."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from pcns.models import User
from tests.factories import PASSWORD
from tests.two_factor_helpers import code_for, ready_for_sign_in


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real pages. A user whose role needs two factors is first given an
    authenticator app, and the code it shows is entered on the second page."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        ready_for_sign_in(user)
    page.goto(base_url + reverse("pcns:sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if user is not None and reverse("pcns:two-factor") in page.url:
        page.get_by_label("Enter your security code").fill(code_for(user))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
