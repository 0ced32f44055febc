"""Disclosure control of shown figures (METRICS.md section 6), worked out by hand."""

from decimal import Decimal

import pytest

from reporting.disclosure import Rule, figure, rule_for_tenant
from reporting.registry import BY_CODE

COUNT, PERCENT, MEDIAN = BY_CODE["REF01"], BY_CODE["RS01b"], BY_CODE["RS01m"]


def count(n, rule=Rule.PUBLICATION):
    return figure(COUNT, numerator=n, denominator=None, value=n, rule=rule)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_count_of_1_to_4_is_shown_as_a_star_and_not_plotted(n):
    shown = count(n)
    assert (shown.text, shown.number, shown.suppressed) == ("*", None, True)


def test_a_count_of_0_stays_0():
    assert (count(0).text, count(0).number) == ("0", Decimal(0))


@pytest.mark.parametrize(("n", "expected"), [(5, "5"), (7, "5"), (8, "10"), (12, "10"),
                                             (13, "15"), (22, "20"), (23, "25")])
def test_other_counts_are_rounded_to_the_nearest_5_for_publication(n, expected):
    assert count(n).text == expected
    assert count(n).number == Decimal(expected)


def test_a_percentage_is_worked_out_from_the_unrounded_counts():
    # 7 of 8 is 87.5%, shown 88; from the rounded counts (5 of 10) it would be 50.
    shown = figure(PERCENT, numerator=7, denominator=8, value=Decimal("50.00"),
                   rule=Rule.PUBLICATION)
    assert (shown.text, shown.number) == ("88", Decimal(88))


def test_a_percentage_based_on_4_or_fewer_is_suppressed():
    shown = figure(PERCENT, numerator=4, denominator=4, value=Decimal(100), rule=Rule.PUBLICATION)
    assert shown.text == "*"


def test_a_median_with_a_base_of_3_is_suppressed_and_with_5_is_a_whole_number():
    assert figure(MEDIAN, numerator=None, denominator=3, value=Decimal("11.5"),
                  rule=Rule.PUBLICATION).text == "*"
    # 11.5 rounds half up to 12
    assert figure(MEDIAN, numerator=None, denominator=5, value=Decimal("11.5"),
                  rule=Rule.PUBLICATION).text == "12"


def test_management_mode_hides_1_to_4_but_does_not_round():
    assert count(3, Rule.MANAGEMENT).text == "*"
    assert count(7, Rule.MANAGEMENT).text == "7"
    assert count(13, Rule.MANAGEMENT).text == "13"
    assert figure(PERCENT, numerator=2, denominator=3, value=Decimal("66.67"),
                  rule=Rule.MANAGEMENT).text == "*"


def test_exact_figures_are_shown_as_stored():
    assert count(3, Rule.EXACT).text == "3"
    assert count(13, Rule.EXACT).text == "13"
    # 2 of 3 is 66.666...%, shown to one decimal place
    assert figure(PERCENT, numerator=2, denominator=3, value=Decimal("66.67"),
                  rule=Rule.EXACT).text == "66.7"
    assert figure(MEDIAN, numerator=None, denominator=3, value=Decimal("11.5"),
                  rule=Rule.EXACT).text == "11.5"


def test_a_missing_value_shows_nothing():
    assert count(None).text == ""
    assert count(None).number is None


def test_the_tenants_mode_picks_the_programme_rule_and_publication_always_wins():
    assert rule_for_tenant("publication") is Rule.PUBLICATION
    assert rule_for_tenant("management") is Rule.MANAGEMENT
    assert rule_for_tenant("management", publication=True) is Rule.PUBLICATION


@pytest.mark.parametrize(("value", "expected"), [("0.44", "0.4"), ("-0.45", "-0.5"),
                                                 ("1.25", "1.3")])
def test_a_mean_keeps_one_decimal_place_so_a_small_dialog_change_still_shows(value, expected):
    shown = figure(BY_CODE["OUT02q"], numerator=None, denominator=12, value=Decimal(value),
                   rule=Rule.PUBLICATION)
    assert shown.text == expected


def test_a_mean_over_fewer_than_5_spells_is_suppressed():
    shown = figure(BY_CODE["OUT02q"], numerator=None, denominator=3, value=Decimal("0.8"),
                   rule=Rule.MANAGEMENT)
    assert shown.suppressed
