"""Steps shared by the browser journeys."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.factories import PASSWORD


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url + reverse("pcns:sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
