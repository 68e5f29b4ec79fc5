"""Golden regression: every scenario of a folder against its stored result.

A scenario ``x.yaml`` has its golden result in ``x.golden.json`` beside it. A check passes
when every tranche's default probability, expected loss and WAL (and the pool's expected
default rate) is within 4 combined standard errors of the golden value and every rating,
of the base case and of each sensitivity, is unchanged (or, when the run's paths or seed
differ from the golden run's, one run's 95% range holds the other's grade). Only
``update=True`` writes golden files; golden files are read safely and checked
(:func:`read_golden`) before any simulation.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.analysis.sensitivity import sensitivity
from engine.errors import Problem, ScenarioError
from engine.inputs import Unreadable, read_user_file
from engine.rating.scale import SF_SCALE
from engine.report.files import Outputs, result_json
from engine.scenario import load_scenario, scenario_files
from engine.scenario.edit import with_convention

GOLDEN_FORMAT = "ipabs-golden/v1"
K_SIGMA = 4.0
ESTIMATES = (("default_probability", "default_probability_se"),
             ("expected_loss", "expected_loss_se"), ("wal_years", "wal_years_se"))


@dataclass
class CheckOutcome:
    scenario: str
    passed: bool
    differences: list[str] = field(default_factory=list)
    updated: bool = False


def golden_path(path: Path) -> Path:
    return path.with_name(path.stem + ".golden.json")


def _within(new, new_se, old, old_se) -> bool:
    if new is None or old is None:
        return new is None and old is None
    se = math.hypot(new_se or 0.0, old_se or 0.0)
    return abs(new - old) <= K_SIGMA * se + 1e-12


#: The grades a check compares, each with its 95% range.
GRADES = (("rating", "rating_range"), ("rating_standalone", "rating_range_standalone"),
          ("rating_substitution", "rating_range_substitution"),
          ("rating_joint_default", "rating_range_joint_default"))


def _in_range(grade: str, rng) -> bool:
    lo, hi = (SF_SCALE.index(g) for g in rng)
    return lo <= SF_SCALE.index(grade) <= hi


def _ranges_agree(new: dict, old: dict, key: str = "rating", range_key: str = "rating_range"
                  ) -> bool:
    """A different grade within Monte Carlo error: one run's 95% range holds the other's
    grade (with the same paths and seed results are bit-identical, so this only matters
    when the number of paths or the seed differs from the golden run's)."""
    if new.get(key) is None or old.get(key) is None:
        return False
    return (_in_range(new[key], old.get(range_key) or [old[key]] * 2)
            or _in_range(old[key], new.get(range_key) or [new[key]] * 2))


def _compare_tranches(where: str, new_rows, old_rows, out: list[str]) -> None:
    old_by_id = {r["id"]: r for r in old_rows}
    for row in new_rows:
        old = old_by_id.get(row["id"])
        if old is None:
            out.append(f"{where}: tranche {row['id']} is new")
            continue
        for key, range_key in GRADES:
            if row.get(key) != old.get(key) and not _ranges_agree(row, old, key, range_key):
                out.append(f"{where}: tranche {row['id']} {key} {old.get(key)} -> {row.get(key)}")
        if row.get("rating_by") != old.get("rating_by"):
            out.append(f"{where}: tranche {row['id']} rating_by {old.get('rating_by')} "
                       f"-> {row.get('rating_by')}")
        for key, se_key in ESTIMATES:
            if key not in row:
                continue
            if not _within(row[key], row.get(se_key), old.get(key), old.get(se_key)):
                out.append(f"{where}: tranche {row['id']} {key} {old.get(key)!r} -> {row[key]!r} "
                           f"(beyond {K_SIGMA:g} standard errors)")
    for tid in old_by_id.keys() - {r["id"] for r in new_rows}:
        out.append(f"{where}: tranche {tid} is gone")


def current_document(scenario, paths=None, seed=None, backend=None) -> dict:
    sens = sensitivity(scenario, paths=paths, seed=seed, backend=backend)
    return {"format": GOLDEN_FORMAT, "scenario_sha256": scenario.sha256,
            "result": sens["base"], "sensitivities": sens["cases"]}


def compare_documents(new: dict, old: dict) -> list[str]:
    out: list[str] = []
    _compare_tranches("base", new["result"]["tranches"], old["result"]["tranches"], out)
    p_new, p_old = new["result"]["pool"], old["result"]["pool"]
    if not _within(p_new["expected_default_rate"], p_new.get("expected_default_rate_se"),
                   p_old["expected_default_rate"], p_old.get("expected_default_rate_se")):
        out.append(f"base: pool expected_default_rate {p_old['expected_default_rate']!r} -> "
                   f"{p_new['expected_default_rate']!r} (beyond {K_SIGMA:g} standard errors)")
    old_cases = {c["name"]: c for c in old.get("sensitivities", [])}
    for case in new.get("sensitivities", []):
        old_case = old_cases.pop(case["name"], None)
        if old_case is None:
            out.append(f"sensitivity {case['name']!r} is new")
        else:
            _compare_tranches(f"sensitivity {case['name']!r}", case["tranches"],
                              old_case["tranches"], out)
    for name in old_cases:
        out.append(f"sensitivity {name!r} is gone")
    return out


def _golden_problems(doc) -> list[Problem]:
    """What keeps ``doc`` from being a golden result :func:`compare_documents` can read."""
    out: list[Problem] = []

    def number(where, x) -> None:
        if x is not None and (isinstance(x, bool) or not isinstance(x, (int, float))
                              or not math.isfinite(x)):
            out.append(Problem(where, f"expected a finite number or null, got {x!r:.40}"))

    def grade(where, g) -> None:
        if g not in SF_SCALE:
            out.append(Problem(where, f"expected an sf grade such as AAAsf, got {g!r:.40}"))

    def tranches(where, rows) -> None:
        if not isinstance(rows, list):
            out.append(Problem(where, "expected a list of tranches"))
            return
        for i, row in enumerate(rows):
            at = f"{where}.{i}"
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                out.append(Problem(at, "expected a tranche with an `id`"))
                continue
            if row.get("rated", True) is False:     # `rated: false`: no grades at all
                for key, range_key in GRADES:
                    if row.get(key) is not None or row.get(range_key) is not None:
                        out.append(Problem(f"{at}.{key}", "an unrated tranche has no grade"))
            else:
                for key, range_key in GRADES:
                    if key != "rating" and key not in row:
                        continue
                    grade(f"{at}.{key}", row.get(key))
                    rng = row.get(range_key, [row.get(key)] * 2)
                    if not isinstance(rng, list) or len(rng) != 2:
                        out.append(Problem(f"{at}.{range_key}", "expected two sf grades"))
                    else:
                        for k, g in enumerate(rng):
                            grade(f"{at}.{range_key}.{k}", g)
            for key, se_key in ESTIMATES:
                number(f"{at}.{key}", row.get(key))
                number(f"{at}.{se_key}", row.get(se_key))

    if not isinstance(doc, dict) or doc.get("format") != GOLDEN_FORMAT:
        return [Problem("format", f"not an {GOLDEN_FORMAT} document")]
    result = doc.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("pool"), dict):
        return [Problem("result", "expected the base result with `tranches` and `pool`")]
    tranches("result.tranches", result.get("tranches"))
    for key in ("expected_default_rate", "expected_default_rate_se"):
        number(f"result.pool.{key}", result["pool"].get(key))
    if result["pool"].get("expected_default_rate") is None:
        out.append(Problem("result.pool.expected_default_rate", "missing"))
    cases = doc.get("sensitivities", [])
    if not isinstance(cases, list):
        return out + [Problem("sensitivities", "expected a list")]
    for i, case in enumerate(cases):
        if not isinstance(case, dict) or not isinstance(case.get("name"), str):
            out.append(Problem(f"sensitivities.{i}", "expected a case with a `name`"))
        else:
            tranches(f"sensitivities.{i}.tranches", case.get("tranches"))
    return out


def read_golden(path: Path) -> dict:
    """The golden result at ``path``, read safely and checked; :class:`ScenarioError` if it
    is unreadable, not JSON or not an ``ipabs-golden/v1`` document."""
    try:
        doc = json.loads(read_user_file(path).decode("utf-8"))
    except Unreadable as exc:
        raise ScenarioError(Problem("", f"cannot read the golden result: {exc}"),
                            source=str(path)) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(Problem("", f"the golden result is not JSON ({exc}); if it is "
                                        "damaged, delete it and write it again with `ipabs "
                                        "check --update`"), source=str(path)) from None
    problems = _golden_problems(doc)
    if problems:
        raise ScenarioError(problems, source=str(path))
    return doc


def check_folder(folder, *, update: bool = False, paths=None, seed=None,
                 backend=None, outputs: Outputs | None = None,
                 support: str | None = None) -> list[CheckOutcome]:
    """Check (or with ``update`` rewrite) every ``*.yaml`` scenario in ``folder``
    (``support`` replaces each scenario's convention).

    Every scenario and golden file is read and checked before the first simulation. With
    ``update`` the golden files are committed together at the end, through ``outputs``
    when given (the caller commits) or else here.
    """
    items = []
    for path in sorted(Path(folder).glob("*.yaml")):
        gold = golden_path(path)
        old = read_golden(gold) if not update and os.path.lexists(gold) else None
        items.append((path, with_convention(load_scenario(path), support), gold, old))
    with contextlib.ExitStack() as stack:
        outs = outputs if outputs is not None else stack.enter_context(Outputs())
        outs.add_inputs(*(p for path, sc, gold, _ in items
                          for p in (path, None if update else gold, *scenario_files(sc))))
        targets = [outs.add("--update", gold, document={GOLDEN_FORMAT}) if update else None
                   for _, _, gold, _ in items]
        outs.check()
        outcomes = []
        for (path, scenario, gold, old), target in zip(items, targets):
            doc = current_document(scenario, paths, seed, backend)
            if update:
                outs.stage_text(target, result_json(doc))
                outcomes.append(CheckOutcome(path.name, True, updated=True))
            elif old is None:
                outcomes.append(CheckOutcome(path.name, False, [
                    f"no golden result {gold.name}; create it with `ipabs check {folder} "
                    "--update`"]))
            else:
                diffs = compare_documents(doc, old)
                outcomes.append(CheckOutcome(path.name, not diffs, diffs))
        if outputs is None:
            outs.commit()
    return outcomes

