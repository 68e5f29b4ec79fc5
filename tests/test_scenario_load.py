"""Loading ``ipabs/v1`` scenarios: valid files, defaults, provenance, YAML and CSV edge cases."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.errors import ScenarioError
from engine.scenario import (
    BulletPrincipal,
    CommitmentGuarantee,
    Factors,
    InterestStep,
    LoanGuarantee,
    PrincipalSchedule,
    ResidualStep,
    Scenario,
    ShortfallCommitment,
    ToPrincipalStep,
    check_scenario,
    load_scenario,
    load_scenario_text,
    scenario_json_schema,
)

DATA = Path(__file__).parent / "data" / "scenario"
EXAMPLE = Path(__file__).parent / "data" / "format_example.yaml"
MINIMAL = DATA / "minimal.yaml"
BASE = DATA / "fixture_base.yaml"


def problems_of(text: str, base_dir: Path | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, base_dir=base_dir)
    return [str(p) for p in info.value.problems]


# ----------------------------------------------------------------------------- valid files


def test_format_example_loads_with_every_section():
    sc = load_scenario(EXAMPLE)
    assert sc.format == "ipabs/v1"
    assert sc.periods_per_year == 4
    assert [o.id for o in sc.obligors] == ["B01", "B02", "B03", "GC", "SOE"]
    assert sc.obligors[1].pd is not None and sc.obligors[1].pd.annual == 0.03
    assert sc.assets[0].balance == 15_000_000 and sc.assets[0].collateral == ["P01"]
    assert sc.collateral[0].haircut.mean == 0.85 and sc.collateral[0].systemic == 0.3
    lg, sc_, scg = sc.credit_support
    assert isinstance(lg, LoanGuarantee) and lg.covers == "all" and lg.lag == 1
    assert isinstance(sc_, ShortfallCommitment) and sc_.covers == ["A"]
    assert isinstance(scg, CommitmentGuarantee) and scg.guarantees == "SC"
    assert sc.correlation.pairwise is not None and sc.correlation.pairwise.same_industry == 0.35
    assert sc.tranches[0].principal == BulletPrincipal(bullet=4)
    assert sc.tranches[1].subordinated and sc.tranches[1].principal is None
    assert [f.id for f in sc.fees] == ["vat", "trustee", "audit"]
    assert sc.waterfall is not None
    assert sc.waterfall.interest == ["fees", InterestStep(interest="A"), ToPrincipalStep(to_principal="rest")]
    assert sc.waterfall.principal[-1] == ResidualStep(residual="Sub")
    assert [t.when.provider_default for t in sc.triggers] == [None, None, "GC"]
    assert sc.simulation.paths == 200_000 and sc.simulation.seed == 20250101
    assert sc.rating.method == "tranche_pd" and sc.rating.table == "domestic"
    assert sc.sensitivities[3].rating_override == {"GC": "AA+"}
    assert sc.sensitivities[4].remove_support == ["SC", "SCG"]


def test_minimal_scenario_gets_the_documented_defaults():
    sc = load_scenario(MINIMAL)
    assert sc.currency == "CNY"
    assert sc.periods_per_year == 1
    asset = sc.assets[0]
    assert (asset.type, asset.amortization, asset.collateral, asset.support) == ("micro_loan", "bullet", [], [])
    assert sc.collateral == [] and sc.credit_support == [] and sc.fees == [] and sc.triggers == []
    assert sc.waterfall is None and sc.sensitivities == [] and sc.assets_file is None
    assert sc.correlation.copula == "gaussian" and sc.correlation.uniform == 0.2
    assert sc.correlation.repair == "none" and sc.correlation.dof is None
    tranche = sc.tranches[0]
    assert (tranche.coupon, tranche.principal, tranche.subordinated) == (0.0, None, False)
    assert (sc.simulation.paths, sc.simulation.seed, sc.simulation.method) == (100_000, 0, "plain")
    assert (sc.rating.method, sc.rating.table) == ("tranche_pd", "domestic")


def test_fixture_base_is_valid_so_each_malformed_file_has_one_fault():
    sc = load_scenario(BASE)
    assert check_scenario(sc) == []
    assert sc.assets[2].amortization == PrincipalSchedule(schedule=[2e6, 3e6, 5e6])


def test_periods_per_year_follows_payment_frequency():
    text = MINIMAL.read_text()
    for freq, n in [("monthly", 12), ("quarterly", 4), ("semiannual", 2), ("annual", 1)]:
        assert load_scenario_text(text.replace("annual\n", f"{freq}\n", 1)).periods_per_year == n


# ----------------------------------------------------------------------------- provenance


def test_sha256_is_of_the_file_bytes_and_base_dir_is_its_folder():
    sc = load_scenario(str(EXAMPLE))
    assert sc.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert sc.base_dir == EXAMPLE.absolute().parent


def test_private_provenance_survives_model_copy_with_update():
    sc = load_scenario(EXAMPLE)
    copy = sc.model_copy(update={"name": "changed", "legal_final": 7})
    assert copy.name == "changed" and copy.legal_final == 7
    assert copy.sha256 == sc.sha256 and copy.base_dir == sc.base_dir
    assert sc.model_copy(deep=True).sha256 == sc.sha256


def test_load_scenario_text_hashes_the_text_and_takes_base_dir():
    text = MINIMAL.read_text()
    sc = load_scenario_text(text, source="mem.yaml", base_dir=DATA)
    assert sc.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert sc.base_dir == DATA
    assert load_scenario_text(text).base_dir is None


def test_scenario_is_immutable():
    sc = load_scenario(MINIMAL)
    with pytest.raises(ValidationError):
        sc.name = "other"  # type: ignore[misc]


def test_check_scenario_rechecks_a_derived_copy():
    sc = load_scenario(BASE)
    bad = sc.model_copy(update={"legal_final": 3})
    paths = {p.path for p in check_scenario(bad)}
    assert {"assets.0.term", "assets.1.term", "tranches.0.principal.bullet"} <= paths


# ----------------------------------------------------------------------------- strictness


def test_integers_are_fine_for_floats_but_not_the_other_way():
    text = MINIMAL.read_text()
    assert load_scenario_text(text.replace("rate: 0.05", "rate: 0")).assets[0].rate == 0.0
    assert any("assets.0.term: Input should be a valid integer" in p
               for p in problems_of(text.replace("term: 3", "term: 3.0")))
    assert any("assets.0.rate: Input should be a valid number, got the boolean true" in p
               for p in problems_of(text.replace("rate: 0.05", "rate: true")))


def test_explicit_standard_tags_are_allowed():
    text = MINIMAL.read_text().replace("id: L1", "id: !!str 7").replace("balance: 100", "balance: !!float 100")
    sc = load_scenario_text(text)
    assert sc.assets[0].id == "7" and sc.assets[0].balance == 100.0


def test_several_independent_model_errors_are_all_reported_with_lines():
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "three_errors.yaml")
    got = [str(p) for p in info.value.problems]
    assert got == [
        "obligors.0.sector: unknown key; allowed: id, entity, kind, rating, pd, region, industry, "
        "correlation_with, parent, parent_correlation, capacity, default_on_exhaustion (line 7)",
        "assets.0.rate: Input should be greater than or equal to 0, got the integer -1 (line 13)",
        "simulation.paths: must be between 2 and 1,000,000,000, got 0 (line 37)",
    ]


def test_several_independent_cross_reference_errors_are_all_reported():
    text = BASE.read_text()
    text = text.replace("obligor: B2,", "obligor: B9,")
    text = text.replace("provider: SOE", "provider: SASAC")
    text = text.replace("interest_shortfall: A}", "interest_shortfall: Q}")
    got = problems_of(text)
    assert [p.split(":")[0] for p in got] == [
        "assets.1.obligor", "credit_support.2.provider", "triggers.1.when.interest_shortfall"
    ]


def test_problems_print_as_path_message_line():
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(MINIMAL.read_text().replace("term: 3", "term: 4"), source="deal.yaml")
    assert str(info.value).splitlines() == [
        "deal.yaml: 1 problem",
        "assets.0.term: term 4 of asset 'L1' runs past legal_final 3 (line 8)",
    ]


# ----------------------------------------------------------------------------- YAML details


def test_anchors_aliases_and_merge_keys_work_like_safe_load():
    text = MINIMAL.read_text().replace(
        "assets:\n  - {id: L1, obligor: B1, balance: 100, rate: 0.05, term: 3}",
        "assets:\n"
        "  - &loan {id: L1, obligor: B1, balance: 60, rate: 0.05, term: 3}\n"
        "  - <<: *loan\n"
        "    id: L2\n"
        "    balance: 40\n",
    )
    sc = load_scenario_text(text)
    assert [(a.id, a.balance, a.rate) for a in sc.assets] == [("L1", 60.0, 0.05), ("L2", 40.0, 0.05)]
    bad = text.replace("    balance: 40\n", "    balance: 40\n    bogus: 1\n")
    assert problems_of(bad)[0].startswith("assets.1.bogus: unknown key")
    assert problems_of(bad)[0].endswith("(line 12)")


def test_an_alias_loop_is_an_error_not_a_hang():
    assert "refers to a value that contains it" in problems_of("a: &x [1, *x]\n")[0]


def test_an_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 8):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    assert "too many values" in problems_of("\n".join(lines) + "\n")[0]


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deep_nesting_is_an_error_not_a_crash(depth):
    got = problems_of("a: " + "[" * depth + "]" * depth + "\n")
    # the C parser (libyaml) refuses first with its own words; the pure-Python one reaches ours
    assert len(got) == 1 and "nest" in got[0] and got[0].endswith("(line 1)")


def test_crlf_and_bom_files_load_with_the_same_lines(tmp_path):
    text = MINIMAL.read_text().replace("term: 3", "term: 9")
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].line == 8


def test_unreadable_inputs_are_scenario_errors(tmp_path):
    for target in (tmp_path, tmp_path / "missing.yaml"):
        with pytest.raises(ScenarioError) as info:
            load_scenario(target)
        assert info.value.source == str(target)
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(empty)


# ----------------------------------------------------------------------------- assets_file


def test_assets_file_gives_the_same_assets_as_inline():
    inline = load_scenario(BASE)
    from_csv = load_scenario(DATA / "fixture_base_csv.yaml")
    assert from_csv.assets == inline.assets
    assert from_csv.assets_file == "pool.csv"


def _csv_scenario(tmp_path: Path, csv_text: str, name: str = "pool.csv") -> Path:
    text = BASE.read_text()
    start, stop = text.index("assets:\n"), text.index("collateral:\n")
    (tmp_path / "deal.yaml").write_text(text[:start] + f"assets_file: {name}\n" + text[stop:])
    if csv_text:
        (tmp_path / "pool.csv").write_text(csv_text)
    return tmp_path / "deal.yaml"


HEADER = "id,obligor,type,balance,rate,term,amortization,collateral,support\n"
ROWS = [
    "L1,B1,micro_loan,60000000,0.045,4,bullet,P1,LG\n",
    "L2,B2,,30000000,0.05,8,equal_principal,,\n",
    "L3,B3,licence_fee,10000000,0.06,3,schedule:2000000; 3000000; 5000000,,\n",
]


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        (HEADER.replace("support", "guarantees") + "".join(ROWS), "unknown column 'guarantees'"),
        (HEADER.replace(",term", "") + "".join(ROWS), "missing required column: term"),
        (HEADER + ROWS[0] + "L2,B2,,1,0.05\n" + ROWS[2], "pool.csv line 3: has 5 fields but the header has 9"),
        (HEADER + ROWS[0] + ROWS[1].replace("30000000", "") + ROWS[2], "pool.csv line 3, column balance: empty, but required"),
        (HEADER + ROWS[0] + ROWS[1].replace(",8,", ",8.5,") + ROWS[2], "pool.csv line 3, column term: '8.5' is not an integer"),
        (HEADER + ROWS[0] + ROWS[1] + ROWS[2].replace("5000000,,", "x,,"), "pool.csv line 4, column amortization: 'x' is not a number"),
        (HEADER + ROWS[0] + ROWS[1].replace("B2", "B7") + ROWS[2], "pool.csv line 3, column obligor: unknown obligor 'B7'"),
        (HEADER + ROWS[0] + ROWS[1].replace("equal_principal", "linear") + ROWS[2], "pool.csv line 3, column amortization: Input should be 'bullet'"),
        (HEADER + ROWS[0] + ROWS[1].replace("0.05", "nan") + ROWS[2], "pool.csv line 3, column rate: Input should be a finite number"),
        (HEADER, "pool.csv: the file has a header but no asset rows"),
        ("", "cannot read pool.csv"),
    ],
)
def test_assets_file_problems_name_the_csv_line_and_column(tmp_path, csv_text, expected):
    path = _csv_scenario(tmp_path, csv_text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    got = [str(p) for p in info.value.problems]
    assert any(p.startswith("assets_file: ") and expected in p and p.endswith("(line 12)") for p in got), got


def test_assets_file_blank_lines_and_bom_are_fine(tmp_path):
    path = _csv_scenario(tmp_path, "\ufeff" + HEADER + ROWS[0] + "\n" + ROWS[1] + ROWS[2] + "\n")
    sc = load_scenario(path)
    assert [a.id for a in sc.assets] == ["L1", "L2", "L3"]
    assert sc.assets[2].amortization == PrincipalSchedule(schedule=[2e6, 3e6, 5e6])


def test_assets_file_through_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text(HEADER + "".join(ROWS))
    folder = tmp_path / "deal"
    folder.mkdir()
    path = _csv_scenario(folder, "", name="link.csv")
    os.symlink(outside, folder / "link.csv")
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        load_scenario(path)


def test_assets_file_inside_a_subfolder_is_fine(tmp_path):
    (tmp_path / "pools").mkdir()
    (tmp_path / "pools" / "p.csv").write_text(HEADER + "".join(ROWS))
    path = _csv_scenario(tmp_path, "", name="pools/../pools/p.csv")
    assert len(load_scenario(path).assets) == 3


def test_assets_file_needs_a_folder_when_loading_text():
    text = (DATA / "fixture_base_csv.yaml").read_text()
    assert any("needs the scenario's folder" in p for p in problems_of(text))
    assert len(load_scenario_text(text, base_dir=DATA).assets) == 3


# ----------------------------------------------------------------------------- JSON Schema


def test_json_schema_uses_yaml_names_and_accepts_the_example():
    import jsonschema
    import yaml

    schema = scenario_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "ipabs/v1" in schema["title"]
    assert "global" in schema["$defs"]["Factors"]["properties"]
    json.dumps(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (EXAMPLE, MINIMAL, DATA / "fixture_base_csv.yaml"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    bad = yaml.safe_load(MINIMAL.read_text())
    bad["obligors"][0]["ratng"] = "A"
    assert list(validator.iter_errors(bad))


def test_factors_accept_global_by_alias_and_by_name():
    assert Factors.model_validate({"global": 0.3}).global_ == 0.3
    assert Factors.model_validate({"global_": 0.3}).global_ == 0.3
    assert Factors(global_=0.2).model_dump(by_alias=True)["global"] == 0.2


def test_scenario_json_round_trip_validates():
    sc = load_scenario(EXAMPLE)
    again = Scenario.model_validate_json(sc.model_dump_json(by_alias=True))
    assert again.model_dump() == sc.model_dump()
