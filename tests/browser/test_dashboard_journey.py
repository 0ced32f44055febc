"""The programme dashboard in real headless Chromium: a programme manager filters to one PCN,
reads the 4-week-wait chart and its table, and downloads the table as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.journeys import serious_violations, sign_in
from tests.reporting.test_pages import count_row, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_manager_reads_one_pcns_4_week_wait_and_downloads_it(page, live_server,
                                                                          tenant_a):
    pcn = tenant_a.pcn
    store(tenant_a.tenant, [
        ("RS01b", "2024-02", "tenant", "", "Northtown", "", 18, 20, "90.00"),
        ("RS01b", "2024-03", "tenant", "", "Northtown", "", 14, 20, "70.00"),
        ("RS01b", "2024-02", "pcn", pcn.pk, pcn.name, "", 6, 8, "75.00"),
        ("RS01b", "2024-03", "pcn", pcn.pk, pcn.name, "", 9, 12, "75.00"),
        count_row("REF01", "2024-03", 12),
    ])
    base = live_server.url
    sign_in(page, base, tenant_a.programme_manager.email)
    page.wait_for_url(base + reverse("pcns:home-programme"))
    page.get_by_role("link", name="Dashboards").first.click()
    page.wait_for_url(base + reverse("reporting:dashboard"))
    assert serious_violations(page) == []

    page.get_by_label("PCN", exact=True).select_option(label=pcn.name)
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url(f"{base}{reverse('reporting:dashboard')}?*pcn={pcn.pk}*")
    page.get_by_text(f"Showing {pcn.name} only").wait_for()

    chart = page.get_by_role("img", name=f"Clock stops within 4 weeks, %: {pcn.name}")
    assert chart.count() == 1
    # 6 of 8 and 9 of 12 are both 75%
    assert "75% in February 2024, 75% in March 2024" in page.locator(
        "#chart-RS01b-desc").text_content()
    table = page.locator("#table-RS01b")
    assert table.locator("thead th").all_inner_texts() == ["Month", pcn.name]
    march = table.locator("tbody tr", has_text="March 2024")
    assert march.locator("td").inner_text() == "75"
    assert serious_violations(page) == []

    with page.expect_download() as download_info:
        page.locator("#metric-RS01b ~ div").get_by_role("link", name="Download CSV").first.click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would misread names"
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    feb_mar = [(r["period"], r["dimension"], r["dimension label"], r["figure"]) for r in rows
               if r["period"] in ("2024-02", "2024-03")]
    assert feb_mar == [("2024-02", "pcn", pcn.name, "75"), ("2024-03", "pcn", pcn.name, "75")]
    assert all(r["code"] == "RS01b" for r in rows)
