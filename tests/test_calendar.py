"""Calendar dates and day counts (SCENARIO_FORMAT.md, "Calendar dates")."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

import engine
from engine.cli import main
from engine.waterfall.calendar import add_months, year_fraction

CENT = 0.01


def _dated(**dates):
    with open("scenarios/shenzhen_ip_pledge.yaml", encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    doc["dates"] = {"closing": dt.date(2026, 3, 20), **dates}
    return doc


def _load(doc):
    return engine.load_scenario_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                                     base_dir="scenarios")


def test_payment_dates_keep_the_day_and_clamp_to_a_short_month():
    assert add_months(dt.date(2026, 1, 31), 1, 31) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 3, 31) == dt.date(2026, 4, 30)
    assert add_months(dt.date(2026, 11, 30), 3, 30) == dt.date(2027, 2, 28)


@pytest.mark.parametrize("convention, start, end, fraction", [
    ("act/365", dt.date(2026, 3, 20), dt.date(2026, 6, 20), 92 / 365),
    ("act/360", dt.date(2026, 3, 20), dt.date(2026, 6, 20), 92 / 360),
    ("30/360", dt.date(2026, 1, 31), dt.date(2026, 4, 30), 90 / 360),
    ("30/360", dt.date(2026, 1, 30), dt.date(2026, 3, 31), 60 / 360),
    ("30/360", dt.date(2026, 2, 28), dt.date(2026, 3, 31), 33 / 360),
    ("period", dt.date(2026, 3, 20), dt.date(2026, 6, 20), 0.25),
])
def test_year_fractions(convention, start, end, fraction):
    assert year_fraction(start, end, convention, 4) == pytest.approx(fraction, abs=1e-15)


def test_coupons_are_paid_act_365_on_the_real_dates(tmp_path):
    path = tmp_path / "dated.yaml"
    path.write_text(yaml.safe_dump(_dated(first_payment=dt.date(2026, 6, 20)),
                                   sort_keys=False, allow_unicode=True), encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    out = tmp_path / "cf.json"
    assert main(["cashflows", str(path), "--json", str(out), "--quiet"]) == 0
    periods = json.loads(out.read_text(encoding="utf-8"))["periods"]
    assert [p["date"] for p in periods[:4]] == ["2026-06-20", "2026-09-20", "2026-12-20",
                                                "2027-03-20"]
    balance, coupon = 195_700_000, 0.0217
    for p, days in zip(periods[:4], (92, 92, 91, 90)):
        assert p["A:interest_due"] == pytest.approx(balance * coupon * days / 365, abs=CENT)
        assert p["A:interest_paid"] == pytest.approx(p["A:interest_due"], abs=CENT)


def test_assets_accrue_act_360_and_wal_is_in_days_over_365():
    sc = _load(_dated())                          # first payment: closing plus a quarter
    rep = engine.cashflows(sc)
    # the pool's interest in the first quarter (92 days): balance x rate x 92 / 360
    expected = sum(a.balance * a.rate for a in sc.assets) * 92 / 360
    assert rep.table.loc[1, "interest_collections"] == pytest.approx(expected, abs=CENT)
    res = engine.run(sc, paths=2000)
    a = res.tranche_rows[0]
    assert a["legal_final_date"] == "2028-03-20" and a["expected_final_date"] == "2027-03-20"
    assert a["wal_years"] == pytest.approx(365 / 365)          # a bullet on 2027-03-20


def test_without_dates_nothing_changes():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    assert "date" not in engine.cashflows(sc).table
    assert "legal_final_date" not in engine.run(sc, paths=1000).tranche_rows[0]


def test_a_state_may_give_its_as_of_as_a_payment_date():
    sc = _load(_dated())
    state = engine.state_after(sc, 2)
    by_number = engine.cashflows(sc, state=state).table
    state["as_of"] = dt.date(2026, 9, 20)
    by_date = engine.cashflows(sc, state=state).table
    assert by_number.equals(by_date)
    state["as_of"] = dt.date(2026, 9, 21)
    with pytest.raises(engine.ScenarioError, match="not a payment date"):
        engine.cashflows(sc, state=state)


def test_bad_dates_are_refused_with_the_field(tmp_path, capsys):
    doc = _dated(first_payment=dt.date(2026, 3, 1))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "dates" in capsys.readouterr().err
