"""A guarantor's book (``ipabs book``, ``engine.book``): exact checks against the one-factor
finite-pool recursion, one name in two deals, a one-deal book against the deal's own joint
run, thread-count independence and the file's errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import engine
from engine.books.assemble import assemble
from engine.books.format import load_book
from engine.books.simulate import simulate_book
from engine.cli import main
from engine.default.analytic import finite_pool_loss_distribution

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "books" / "shenzhen_group.yaml"


def _one_loan_deal(i: int, pd: float, guarantor_pd: float = 0.0) -> dict:
    """A one-loan deal (1m at 0%, one year) guaranteed in full by the group G."""
    return {
        "format": "ipabs/v1", "name": f"deal {i}", "payment_frequency": "annual",
        "legal_final": 1,
        "obligors": [{"id": "B", "entity": f"SME{i}", "kind": "borrower",
                      "pd": {"annual": pd}},
                     {"id": "G", "entity": "GROUP", "kind": "guarantee_company",
                      "pd": {"annual": guarantor_pd}}],
        "assets": [{"id": "L", "obligor": "B", "balance": 1_000_000, "rate": 0.0, "term": 1}],
        "credit_support": [{"id": "LG", "type": "loan_guarantee", "provider": "G",
                            "covers": "all", "lag": 0}],
        "correlation": {"uniform": 0.2},
        "tranches": [{"id": "A", "balance": 1_000_000}],
    }


def _write_book(tmp_path: Path, deals: list[dict], entities: dict, **extra) -> Path:
    names = []
    for n, d in enumerate(deals):
        (tmp_path / f"d{n}.yaml").write_text(yaml.safe_dump(d, allow_unicode=True),
                                             encoding="utf-8")
        names.append(f"d{n}.yaml")
    doc = {"format": "ipabs-book/v1", "name": "test book", "deals": names,
           "entities": entities, **extra}
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("k", [0, 2, 4])
def test_capital_for_k_claims_is_exhausted_as_the_finite_pool_recursion_says(tmp_path, k):
    """N one-loan deals, each loan guaranteed by one group whose capital covers k claims:
    the group's capital runs out exactly when more than k borrowers default, whose
    probability the exact one-factor recursion gives."""
    n, pd, rho, paths = 10, 0.05, 0.2, 40_000
    book = _write_book(tmp_path, [_one_loan_deal(i, pd) for i in range(n)],
                       {"GROUP": {"capital": (k + 0.5) * 1_000_000}},
                       correlation={"uniform": rho}, simulation={"paths": paths, "seed": 3})
    doc = engine.book(book, alone=False)
    ent = doc["entities"][0]
    dist = finite_pool_loss_distribution(np.full(n, pd), np.ones(n, dtype=int), rho)
    exact = float(dist[k + 1:].sum())
    got, se = ent["exhaustion_probability"], ent["exhaustion_probability_se"]
    assert abs(got - exact) <= 4 * max(se, np.sqrt(exact * (1 - exact) / paths)), (got, exact)
    # without one deal the capital runs out when more than k of the other n - 1 default
    dist = finite_pool_loss_distribution(np.full(n - 1, pd), np.ones(n - 1, dtype=int), rho)
    exact = float(dist[k + 1:].sum())
    for m in ent["marginal"]:
        got = m["exhaustion_probability_without"]
        assert abs(got - exact) <= 4 * np.sqrt(max(exact * (1 - exact), 1e-4) / paths)


def test_capital_shared_pro_rata_on_the_exhaustion_date(tmp_path):
    """Three claims of 1m on one date against 2.5m of capital: each deal gets 2.5/3 of its
    claim (the capital left, pro rata), so each senior loses a sixth."""
    deals = [_one_loan_deal(i, 0.5) for i in range(3)]
    book = _write_book(tmp_path, deals, {"GROUP": {"capital": 2_500_000}},
                       correlation={"uniform": 0.2}, simulation={"paths": 4000, "seed": 5})
    asm = assemble(load_book(book))
    bp = simulate_book(asm, 4000, 5)
    defaults = np.stack([d.default[:, 0] for d in bp.deals], axis=1)
    # a claim only where its borrower defaulted (no interest: the loss is the balance)
    all_three = np.flatnonzero(np.stack([d.demand[:, 0] for d in bp.deals], axis=1).min(axis=1)
                               > 0)
    assert len(all_three) > 50
    for d in bp.deals:
        np.testing.assert_allclose(d.claims[all_three, 0], 2.5e6 / 3, atol=0.005, rtol=0)
        np.testing.assert_allclose(d.loss[all_three, 0], 1 / 6, rtol=1e-6)
    assert defaults[all_three].all()
    assert (bp.exhausted[all_three, 0] == 1).all()


def test_one_sme_in_two_deals_defaults_in_both_on_the_same_paths(tmp_path):
    """The same entity borrows in two deals (ids differ): one default time; other
    borrowers' ids collide across deals but are different firms (no entity): independent."""
    a, b = _one_loan_deal(0, 0.1), _one_loan_deal(0, 0.1)
    b["obligors"][0]["id"] = "another id"
    b["assets"][0]["obligor"] = "another id"
    c = _one_loan_deal(1, 0.1)
    del c["obligors"][0]["entity"]              # "B" again, but not the same firm
    d = _one_loan_deal(2, 0.1)
    del d["obligors"][0]["entity"]
    book = _write_book(tmp_path, [a, b, c, d], {"GROUP": {"capital": 1e12}},
                       correlation={"uniform": 0.2}, simulation={"paths": 20_000, "seed": 9})
    asm = assemble(load_book(book))
    bp = simulate_book(asm, 20_000, 9)
    flags = [r.demand[:, 0] > 0 for r in bp.deals]      # the borrower defaulted
    assert flags[0].mean() > 0.05
    assert np.array_equal(flags[0], flags[1])
    assert not np.array_equal(flags[2], flags[3])          # same id "B", other firms
    joint = (flags[2] & flags[3]).mean()
    assert joint < 0.5 * flags[2].mean()


def test_a_one_deal_book_is_the_deals_joint_default_run(tmp_path):
    """With capital no claim reaches, a one-deal book rates the deal as its own joint run
    does (other random numbers: within Monte Carlo error)."""
    sc = yaml.safe_load((ROOT / "scenarios" / "books" / "shenzhen_group" /
                         "nanshan_2025_1.yaml").read_text(encoding="utf-8"))
    sc["correlation"] = {"uniform": 0.3}
    book = _write_book(tmp_path, [sc], {"91440300MA5GROUP01": {"capital": 1e13}},
                       simulation={"paths": 60_000, "seed": 2})
    doc = engine.book(book, alone=True)
    for t in doc["deals"][0]["tranches"]:
        alone = engine.run(engine.load_scenario(tmp_path / "d0.yaml"), paths=60_000, seed=2)
        mine = next(x for x in alone.to_dict()["tranches"] if x["id"] == t["id"])
        se = np.hypot(t["default_probability_se"], mine["default_probability_se"])
        assert abs(t["default_probability"] - mine["default_probability"]) <= 4 * se + 1e-12
        assert t["rating"] == mine["rating"]
    assert doc["entities"][0]["exhaustion_probability"] == 0.0


def test_the_book_is_the_same_for_any_thread_count(tmp_path):
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = engine.book(SHIPPED, paths=3000, alone=False)
        numba.set_num_threads(max(2, before))
        two = engine.book(SHIPPED, paths=3000, alone=False)
    finally:
        numba.set_num_threads(before)
    assert one == two


def test_more_capital_never_fails_more_often_on_the_same_paths(tmp_path):
    book = load_book(SHIPPED)
    rates = []
    for capital in (1e8, 3e8, 1e9):
        entities = {e: v.model_copy(update={"capital": capital})
                    for e, v in book.entities.items()}
        b = book.model_copy(update={"entities": entities})
        b._base_dir = book.base_dir
        asm = assemble(b)
        bp = simulate_book(asm, 4000, 1)
        rates.append((bp.exhausted[:, 0] <= asm.horizon).mean())
    assert rates[0] >= rates[1] >= rates[2]
    assert rates[0] > rates[2]


def test_a_stated_grade_the_book_does_not_support_is_a_warning():
    """The shipped group is stated AAA but fails in about 5% of paths (BB): a committee must
    see that the deals' market ratings rest on a grade the book does not support; with ten
    times the capital the gap closes and the warning goes."""
    doc = engine.book(SHIPPED, paths=4000, alone=False)
    row = doc["entities"][0]
    assert row["stated_rating"] == "AAA" and row["implied_grade"] in ("BB+", "BB", "BB-")
    assert any("stated AAA, but its failure probability in this book" in w
               and f"supports {row['implied_grade']}" in w for w in doc["warnings"])
    book = load_book(SHIPPED)
    rich = book.model_copy(update={"entities": {
        e: v.model_copy(update={"capital": 10 * v.capital}) for e, v in book.entities.items()}})
    rich._base_dir, rich._source = book.base_dir, book.source
    doc = engine.book(rich, paths=4000, alone=False)
    assert not any("stated AAA" in w for w in doc["warnings"])


def test_book_command_writes_its_json_and_refuses_bad_books(tmp_path, capsys):
    out = tmp_path / "book.json"
    assert main(["book", str(SHIPPED), "--paths", "2000", "--json", str(out)]) == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["format"] == "ipabs-book-result/v1"
    assert len(doc["deals"]) == 3 and doc["entities"][0]["marginal"]
    text = capsys.readouterr().out
    assert "91440300MA5GROUP01" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(SHIPPED.read_text(encoding="utf-8").replace(
        "capital: 300_000_000", "capital: -5"), encoding="utf-8")
    assert main(["book", str(bad), "--paths", "2000"]) == 2
    err = capsys.readouterr().err
    assert "capital" in err and "line" in err


def test_an_entity_modelled_two_ways_is_refused(tmp_path):
    a, b = _one_loan_deal(0, 0.1), _one_loan_deal(0, 0.2)     # SME0 with two PDs
    book = _write_book(tmp_path, [a, b], {"GROUP": {"capital": 1e9}})
    with pytest.raises(engine.ScenarioError, match="entities.SME0: it is modelled "
                       "differently in d0.yaml .B. and d1.yaml .B.: PD 10.00% a year against "
                       "20.00% a year; one name needs one model .line 4."):
        assemble(load_book(book))


def test_book_out_writes_every_file_with_user_text_inert(tmp_path):
    """`--out` writes the page, tables, workbook and plot; an entity code a user wrote is
    text in every one of them (no markup, no formula)."""
    odd = "=HYPERLINK(1)<b>x</b>"
    deals = [_one_loan_deal(i, 0.3) for i in range(2)]
    for d in deals:
        d["obligors"][1]["entity"] = odd
    book = _write_book(tmp_path, deals, {odd: {"capital": 1_500_000}},
                       correlation={"uniform": 0.2}, simulation={"paths": 2000, "seed": 1})
    out = tmp_path / "out"
    assert main(["book", str(book), "--out", str(out), "--lang", "zh", "--no-alone"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"book.html", "book.json", "book.xlsx", "claims.png", "book_tranches.csv",
            "book_entities.csv", "book_marginal.csv"} <= names
    page = (out / "book.html").read_text(encoding="utf-8")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "组合中的证券档次" in page
    csv = (out / "book_entities.csv").read_text(encoding="utf-8-sig")
    assert "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv


def test_a_book_that_is_not_utf8_or_missing_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "book.yaml"
    bad.write_bytes(b"format: ipabs-book/v1\nname: \xff\xfe\n")
    assert main(["book", str(bad), "--paths", "2000"]) == 2
    assert "not UTF-8 text (byte 0xff)" in capsys.readouterr().err
    assert main(["book", str(tmp_path / "nothing.yaml"), "--paths", "2000"]) == 2
    assert "cannot read the book" in capsys.readouterr().err


def test_deals_of_other_legal_finals_share_one_calendar(tmp_path):
    """A one-year deal beside a three-year one: the group never defaults and its capital
    is never reached, so it never fails (a deal's "no default" past its own legal final is
    not a default of the group); the longer deal's claims count to its end."""
    short, long = _one_loan_deal(0, 0.2), _one_loan_deal(1, 0.2)
    long["legal_final"] = 3
    long["assets"][0]["term"] = 3
    book = _write_book(tmp_path, [short, long], {"GROUP": {"capital": 1e12}},
                       correlation={"uniform": 0.2}, simulation={"paths": 4000, "seed": 8})
    doc = engine.book(book, alone=False)
    ent = doc["entities"][0]
    assert doc["run"]["horizon"] == 3
    assert ent["failure_probability"] == 0.0 and ent["exhaustion_probability"] == 0.0
    assert ent["claims_mean"] > 0.0
    tight = _write_book(tmp_path, [short, long], {"GROUP": {"capital": 500_000}},
                        correlation={"uniform": 0.2}, simulation={"paths": 4000, "seed": 8})
    doc = engine.book(tight, alone=False)
    by_year = doc["entities"][0]["exhaustion_by_year"]
    assert by_year["3"] > by_year["1"] > 0.0            # the long deal's defaults count later


def test_one_entity_on_two_obligors_of_a_deal_is_refused(tmp_path):
    deal = _one_loan_deal(0, 0.1)
    deal["obligors"].append({"id": "G2", "entity": "GROUP", "kind": "guarantee_company",
                             "pd": {"annual": 0.0}})
    book = _write_book(tmp_path, [deal], {"GROUP": {"capital": 1e9}})
    with pytest.raises(engine.ScenarioError, match="one entity"):
        assemble(load_book(book))
