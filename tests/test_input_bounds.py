"""Every number a user writes has a finite bound: 1e308 in a multiplier, a count, a period
or a deal state's amount is a clear exit 2 naming the field and its line, never an internal
error at the end of a run (issue #30)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = yaml.safe_load((ROOT / "tests" / "data" / "format_example.yaml").read_text())
HUGE = 1e308


def _write(folder: Path, doc: dict, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                   default_flow_style=False))
    return path


def _line_of(path: Path, key: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1)
                if line.strip().lstrip("- ").startswith(key + ":"))


#: (where in the scenario, the value, the field refused, words of the message)
SCENARIO_BOUNDS = [
    ("sensitivities", [{"name": "x", "pd_multiplier": HUGE}], "sensitivities.0.pd_multiplier",
     "less than or equal to 1000"),
    ("sensitivities", [{"name": "x", "recovery_multiplier": HUGE}],
     "sensitivities.0.recovery_multiplier", "less than or equal to 1000"),
    ("rating", {"method": "tdr_bdr", "stresses": [{"name": "s", "recovery_multiplier": HUGE}]},
     "rating.stresses.0.recovery_multiplier", "less than or equal to 1000"),
    ("rating", {"method": "tdr_bdr", "stresses": [{"name": "s", "timing": "front:" + "9" * 20}]},
     "rating.stresses.0.timing", "front-loading must be in [-1, 1]"),
    ("correlation", {"copula": "student_t", "dof": HUGE, "uniform": 0.2}, "correlation.dof",
     "less than or equal to 1000"),
    ("report", {"stress": {"period": 10**30}}, "report.stress.period",
     "less than or equal to 1200"),
    ("report", {"stress": {"period": 7}}, "report.stress.period",
     "period 7 is after legal_final 6; use 1..6"),
    ("report", {"stress": {"largest_borrowers": 10**30}}, "report.stress.largest_borrowers",
     "about 10^30 is more than the 3 borrowers of the pool; use 0..3"),
]


@pytest.mark.parametrize("key, value, field, message", SCENARIO_BOUNDS,
                         ids=[b[2] for b in SCENARIO_BOUNDS])
def test_multipliers_counts_and_periods_are_bounded(tmp_path, capsys, key, value, field,
                                                    message):
    doc = copy.deepcopy(EXAMPLE)
    doc[key] = value
    path = _write(tmp_path, doc)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    leaf = field.rsplit(".", 1)[-1]
    assert f"{path}: {field}: " in err and message in err, err
    assert f"(line {_line_of(path, leaf)})" in err and "Traceback" not in err


def test_a_huge_command_line_change_is_refused_before_simulating(capsys):
    argv = ["sensitivity", str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"), "--change",
            "pd_multiplier=1e308", "--paths", "100"]
    assert main(argv) == 2
    assert "--change pd_multiplier=1e308" in capsys.readouterr().err
