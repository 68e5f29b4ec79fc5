"""Cross-reference checks on a parsed scenario: the rules that relate objects to each other.

The models (:mod:`engine.scenario.parts`) check each object on its own; this module
checks the deal as a whole: ids are unique and every id named exists, collateral is
pledged exactly once, terms fit the legal final, tranches fit the pool, the correlation
structure is a valid one, numbers stay within the bounds of :mod:`engine.limits`, and so on. :func:`check_scenario` returns *every* problem
(never raises), with dotted, 0-based paths such as ``assets.3.obligor`` - the same
convention as pydantic locations - so the loader can attach YAML line numbers.
"""
from __future__ import annotations

import datetime as dt

import weakref
from pathlib import PurePosixPath, PureWindowsPath
import math
from collections.abc import Callable, Sequence

from engine.errors import Problem
from engine.limits import (
    MAX_ANNUAL_RATE,
    MAX_ANNUAL_RATE_ALLOWED,
    MAX_GRID_CELLS,
    MAX_PERIODS,
)
from engine.rating.scale import OBLIGOR_NOTCHES
from engine.scenario.correlation import factor_names
from engine.scenario.base import amount_problem, count_text
from engine.scenario.correlation_checks import PSD_TOLERANCE, _check_correlation
from engine.scenario.messages import Report, _difference, _Ids, _letter, _path, _total, _unknown
from engine.scenario.plausibility import counter_pledge_problems
from engine.scenario.parts import (
    ASSET_SUPPORT_TYPES,
    LOSS_ORDER_DEFAULT,
    format_amount,
    BulletPrincipal,
    CommitmentGuarantee,
    InterestStep,
    PrincipalSchedule,
    PrincipalStep,
    ResidualStep,
    ScenarioFields,
    ShortfallCommitment,
    Step,
    ToPrincipalStep,
)

__all__ = ["check_scenario", "PSD_TOLERANCE", "POOL_TOLERANCE"]

#: Tranche balances may exceed the pool balance by this much, relatively (rounding).
POOL_TOLERANCE = 1e-6
#: Relative tolerance for a tranche's principal schedule to sum to its balance.
SCHEDULE_RTOL = 1e-9


#: Scenarios (these very objects, with what they held) that passed every check. The
#: models are frozen but their lists and mappings are not (``sc.assets.append(...)``), so
#: the key holds a digest of the contents; a copy (``model_copy``, ``with_changes``) is a
#: new object and is checked afresh.
_PASSED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _contents(scenario) -> int:
    """A digest of every value a scenario holds, through its models, lists and mappings."""
    out: list = []
    stack = [scenario]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple, dict)) or hasattr(node, "model_fields"):
            items = list(_items(node))
            out.append((type(node).__name__, len(items)))
            for key, value in items:
                out.append(key)
                stack.append(value)
        else:
            out.append(node)
    return hash(tuple(out))


def passed_checks(scenario) -> bool:
    """Whether this very object, holding what it holds now, passed :func:`check_scenario`
    with no problem (an equal copy, or the object changed in place since, is checked
    afresh)."""
    return _PASSED.get((id(scenario), _contents(scenario))) is scenario


def check_scenario(scenario: ScenarioFields) -> list[Problem]:
    """Every cross-reference problem in a scenario.

    Parameters
    ----------
    scenario
        A scenario that passed model validation (or was derived from one, e.g. with
        ``model_copy(update=...)``).

    Returns
    -------
    list of Problem
        All problems found, in a stable order; empty if the scenario is consistent.
        Lines are not set (the loader adds them).
    """
    problems: list[Problem] = []
    for check in _CHECKS:
        check(scenario, problems.append)
    if not problems:            # the ids resolve: what the documents cannot mean
        problems += counter_pledge_problems(scenario)
    if not problems:
        _PASSED[(id(scenario), _contents(scenario))] = scenario
    return problems




# ----------------------------------------------------------------------------- bounds

#: Keys that hold money amounts (or lists of them), wherever they appear.
MONEY_KEYS = frozenset({"balance", "appraised_value", "cap", "size", "deductible", "limit",
                        "capacity", "amount", "initial", "target", "schedule"})
#: Keys that hold annual rates.
RATE_KEYS = frozenset({"rate", "coupon"})
#: Keys that hold a number of periods (or months).
PERIOD_KEYS = frozenset({"lag", "lag_shift", "months"})


_BOUNDED_KEYS = MONEY_KEYS | RATE_KEYS | PERIOD_KEYS
_ALIASES: dict[type, dict[str, str]] = {}


def _field_names(model) -> dict[str, str]:
    """Field name -> the name a scenario file uses (its alias), per model class."""
    cls = type(model)
    names = _ALIASES.get(cls)
    if names is None:
        names = {n: f.alias or n for n, f in cls.model_fields.items()}
        _ALIASES[cls] = names
    return names


def _items(node):
    """``(key, value)`` of a list, tuple, mapping or scenario model (file names)."""
    if isinstance(node, (list, tuple)):
        return enumerate(node)
    if isinstance(node, dict):
        return iter(node.items())
    names = _field_names(node)
    return ((names[n], v) for n, v in node.__dict__.items() if n in names)


def _numbers(scenario) -> list[tuple[tuple, str, float]]:
    """``(path, key, number)`` of every number of a scenario (its models, lists and
    mappings, read directly: no dump) under a key with a bound (money, rate, periods),
    with the nearest key, in the file's order; paths use the file's names."""
    found = []
    stack = [(_items(scenario), (), "")]
    while stack:
        items, path, key = stack[-1]
        for k, value in items:
            if value is None or isinstance(value, (str, bool, dt.date)):
                continue
            name = k if isinstance(k, str) else key
            if isinstance(value, (int, float)):
                if name in _BOUNDED_KEYS:
                    found.append((path + (k,), name, value))
            else:
                stack.append((_items(value), path + (k,), name))
                break                        # the parent's iterator resumes after it
        else:
            stack.pop()
    return found


def _check_bounds(s: ScenarioFields, report: Report) -> None:
    """Amounts, rates, lags, horizon and size within :mod:`engine.limits`."""
    rate_cap = MAX_ANNUAL_RATE_ALLOWED if s.allow_high_rates else MAX_ANNUAL_RATE
    for path, key, x in _numbers(s):
        where = _path(*path)   # only numbers under a bounded key come here
        if key in MONEY_KEYS and amount_problem(x) is not None:
            report(Problem(where, amount_problem(x)))
        elif key in RATE_KEYS and x > rate_cap:
            report(Problem(where, (
                f"{x:g} is {100 * x:,.4g}% a year, above the {100 * rate_cap:,.0f}% ipabs "
                "accepts even with `allow_high_rates: true`") if s.allow_high_rates else (
                f"{x:g} is {100 * x:,.4g}% a year; rates are fractions (0.05 is 5%). If "
                "more than 100% a year is meant, add `allow_high_rates: true` to the scenario")))
        elif key in PERIOD_KEYS and abs(x) > MAX_PERIODS:
            report(Problem(where, f"{count_text(x)} is more than {MAX_PERIODS:,} periods (100 "
                                  "years of monthly dates)"))
    grid = max(len(s.obligors), len(s.assets)) * (s.legal_final + 1)
    if s.legal_final > MAX_PERIODS:
        report(Problem("legal_final", f"{count_text(s.legal_final)} periods is more than the "
                                      f"{MAX_PERIODS:,} ipabs simulates (100 years monthly)"))
    elif grid > MAX_GRID_CELLS:
        report(Problem("legal_final", f"{len(s.obligors):,} obligors and {len(s.assets):,} "
                                      f"assets over {s.legal_final:,} periods need per-period "
                                      f"tables of {grid:,} cells, more than {MAX_GRID_CELLS:,}; "
                                      "use a coarser payment_frequency or a smaller pool"))


# ----------------------------------------------------------------------------- ids


def _check_unique_ids(s: ScenarioFields, report: Report) -> None:
    sections: list[tuple[str, Sequence[object]]] = [
        ("obligors", s.obligors), ("assets", s.assets), ("collateral", s.collateral),
        ("credit_support", s.credit_support), ("tranches", s.tranches), ("fees", s.fees),
        ("triggers", s.triggers),
    ]
    for section, items in sections:
        first: dict[str, int] = {}
        looks: dict[tuple[str, ...], str] = {}
        for i, item in enumerate(items):
            ident = item.id  # type: ignore[attr-defined]
            if ident in first:
                report(Problem(
                    _path(section, i, "id"),
                    f"duplicate id {ident!r}: already used by {section}.{first[ident]}",
                ))
                continue
            first[ident] = i
            other = looks.setdefault(tuple(map(_letter, ident)), ident)
            if other != ident:
                report(Problem(_path(section, i, "id"), f"id {ident!r} looks the same as "
                               f"{other!r} ({section}.{first[other]}): "
                               f"{_difference(other, ident)}; reports could not tell them "
                               "apart: rename one"))
    names: dict[str, int] = {}
    for i, sens in enumerate(s.sensitivities):
        if sens.name in names:
            report(Problem(
                _path("sensitivities", i, "name"),
                f"duplicate sensitivity name {sens.name!r}: already used by "
                f"sensitivities.{names[sens.name]}",
            ))
        else:
            names[sens.name] = i


# ----------------------------------------------------------------------------- obligors


def _check_obligors(s: ScenarioFields, report: Report) -> None:
    for i, ob in enumerate(s.obligors):
        if ob.pd is not None and ob.pd.cumulative is not None:
            n = len(ob.pd.cumulative)
            if n < s.legal_final:
                report(Problem(
                    _path("obligors", i, "pd", "cumulative"),
                    f"the cumulative PD curve of {ob.id!r} has {n} periods but legal_final is "
                    f"{s.legal_final}; give at least {s.legal_final}",
                ))


# ----------------------------------------------------------------------------- assets


def _check_assets(s: ScenarioFields, report: Report) -> None:
    obligor_ids = _Ids(o.id for o in s.obligors)
    collateral_ids = _Ids(c.id for c in s.collateral)
    supports = {sp.id: sp for sp in s.credit_support}
    guarantee_ids = [sp.id for sp in s.credit_support if sp.type in ASSET_SUPPORT_TYPES]
    pledged: dict[str, tuple[int, str]] = {}  # collateral id -> (asset index, asset id)
    for i, asset in enumerate(s.assets):
        if asset.obligor not in obligor_ids:
            report(Problem(_path("assets", i, "obligor"), _unknown("obligor", asset.obligor, obligor_ids)))
        if asset.term > s.legal_final:
            report(Problem(
                _path("assets", i, "term"),
                f"term {asset.term} of asset {asset.id!r} runs past legal_final {s.legal_final}",
            ))
        for k, cid in enumerate(asset.collateral):
            where = _path("assets", i, "collateral", k)
            if cid not in collateral_ids:
                report(Problem(where, _unknown("collateral", cid, collateral_ids)))
            elif cid in pledged:
                j, other = pledged[cid]
                report(Problem(
                    where,
                    f"collateral {cid!r} is already pledged to asset {other!r} (assets.{j}); "
                    "an item can secure one asset only",
                ))
            else:
                pledged[cid] = (i, asset.id)
        for k, sid in enumerate(asset.support):
            where = _path("assets", i, "support", k)
            sp = supports.get(sid)
            if sp is None:
                report(Problem(where, _unknown("guarantee", sid, guarantee_ids)))
            elif sp.type not in ASSET_SUPPORT_TYPES:
                report(Problem(
                    where,
                    f"support {sid!r} is a {sp.type}; an asset lists only "
                    f"{', '.join(ASSET_SUPPORT_TYPES[:-1])} or {ASSET_SUPPORT_TYPES[-1]} "
                    "supports",
                ))
            elif sp.covers != "all" and asset.id not in sp.covers:
                report(Problem(
                    where,
                    f"guarantee {sid!r} covers {', '.join(sp.covers)}, not asset {asset.id!r}; "
                    f"add {asset.id!r} to its `covers` or remove it here",
                ))
    for i, col in enumerate(s.collateral):
        if col.id not in pledged:
            report(Problem(
                _path("collateral", i, "id"),
                f"collateral {col.id!r} is not pledged to any asset; list it under an asset's "
                "`collateral` or remove it",
            ))


# ----------------------------------------------------------------------------- credit support


def _check_support(s: ScenarioFields, report: Report) -> None:
    obligor_ids = _Ids(o.id for o in s.obligors)
    asset_ids = _Ids(a.id for a in s.assets)
    tranche_ids = [t.id for t in s.tranches]
    commitments = [sp.id for sp in s.credit_support if isinstance(sp, ShortfallCommitment)]
    if len(set(s.loss_order)) != len(s.loss_order):
        report(Problem("loss_order", f"list each of {', '.join(LOSS_ORDER_DEFAULT)} at most "
                                     "once (those not listed follow in this order)"))
    for i, sp in enumerate(s.credit_support):
        if sp.cap_key != "cap" and sp.cap is not None:
            report(Problem(_path("credit_support", i, "cap"),
                           f"a {sp.type} is limited by its `{sp.cap_key}`; remove `cap`"))
        if sp.provider is None:
            pass                                 # a riskless sponsor (where the type allows)
        elif sp.provider not in obligor_ids:
            report(Problem(
                _path("credit_support", i, "provider"),
                _unknown("obligor", sp.provider, obligor_ids)
                + ("; add the provider to `obligors` (it can default too)" if obligor_ids else ""),
            ))
        if sp.level == "asset" and sp.covers != "all":
            for k, aid in enumerate(sp.covers):
                if aid not in asset_ids:
                    report(Problem(_path("credit_support", i, "covers", k), _unknown("asset", aid, asset_ids)))
        elif isinstance(sp, ShortfallCommitment):
            for k, tid in enumerate(sp.covers):
                if tid not in tranche_ids:
                    report(Problem(_path("credit_support", i, "covers", k), _unknown("tranche", tid, tranche_ids)))
        elif isinstance(sp, CommitmentGuarantee) and sp.guarantees not in commitments:
            other = next((x for x in s.credit_support if x.id == sp.guarantees), None)
            target = ShortfallCommitment.type_name()
            msg = (
                f"{sp.guarantees!r} is a {other.type}; a {sp.type} guarantees a {target}"
                if other is not None else _unknown(target, sp.guarantees, commitments)
            )
            report(Problem(_path("credit_support", i, "guarantees"), msg))


# ----------------------------------------------------------------------------- tranches


def _check_tranches(s: ScenarioFields, report: Report) -> None:
    first_sub: int | None = None
    for i, tr in enumerate(s.tranches):
        if tr.subordinated:
            if first_sub is None:
                first_sub = i
        elif first_sub is not None:
            report(Problem(
                _path("tranches", i, "subordinated"),
                f"tranche {tr.id!r} is not subordinated but comes after subordinated tranche "
                f"{s.tranches[first_sub].id!r}; list tranches most senior first",
            ))
        pr = tr.principal
        if isinstance(pr, BulletPrincipal) and pr.bullet > s.legal_final:
            report(Problem(
                _path("tranches", i, "principal", "bullet"),
                f"bullet period {pr.bullet} is after legal_final {s.legal_final}",
            ))
        elif isinstance(pr, PrincipalSchedule):
            where = _path("tranches", i, "principal", "schedule")
            if len(pr.schedule) > s.legal_final:
                report(Problem(
                    where,
                    f"the schedule has {len(pr.schedule)} periods, more than legal_final {s.legal_final}",
                ))
            total = _total(pr.schedule)
            if not math.isclose(total, tr.balance, rel_tol=SCHEDULE_RTOL, abs_tol=0.0):
                report(Problem(
                    where, f"the schedule sums to {format_amount(total)} but balance is {format_amount(tr.balance)}"
                ))
    if all(tr.subordinated for tr in s.tranches):
        report(Problem("tranches", "every tranche is subordinated; at least one must not be"))
    notes = _total(tr.balance for tr in s.tranches)
    pool = _total(a.balance for a in s.assets)
    if notes > pool * (1.0 + POOL_TOLERANCE):
        report(Problem(
            "tranches",
            f"tranche balances sum to {format_amount(notes)}, more than the pool balance {format_amount(pool)}",
        ))


# ----------------------------------------------------------------------------- waterfall, triggers


def _step_ids(step: Step) -> tuple[str, list[tuple[tuple[str | int, ...], str]]]:
    """(kind, [(sub-path, tranche id)]) of the tranche ids a step names."""
    if isinstance(step, (InterestStep, PrincipalStep)):
        key = "interest" if isinstance(step, InterestStep) else "principal"
        ids = getattr(step, key)
        if isinstance(ids, str):
            return key, [((key,), ids)]
        return key, [((key, k), t) for k, t in enumerate(ids)]
    if isinstance(step, ResidualStep):
        return "residual", [(("residual",), step.residual)]
    return "other", []


def _step_kind(step: Step) -> str:
    if isinstance(step, str):
        return step
    if isinstance(step, ToPrincipalStep):
        return "to_principal"
    return _step_ids(step)[0]


def _check_waterfall(s: ScenarioFields, report: Report) -> None:
    wf = s.waterfall
    if wf is None:
        return
    tranche_ids = [t.id for t in s.tranches]
    subordinated = {t.id for t in s.tranches if t.subordinated}
    coupon = {t.id: t.coupon for t in s.tranches}
    allowed = {
        "interest": {"fees", "interest", "principal", "reserve_top_up", "to_principal"},
        "principal": {"fees", "interest", "principal", "reserve_top_up", "reimbursement",
                      "residual"},
        "post_acceleration": {"fees", "interest", "principal", "reimbursement", "residual"},
    }

    for section in ("interest", "principal", "post_acceleration"):
        steps = getattr(wf, section)
        if steps is None:
            continue
        seen: dict[str, set[str]] = {"interest": set(), "principal": set()}
        for i, step in enumerate(steps):
            kind = _step_kind(step)
            where_step = _path("waterfall", section, i)
            if kind not in allowed[section]:
                report(Problem(where_step, f"`{kind}` is not a step of the {section} list; "
                                           f"allowed there: {', '.join(sorted(allowed[section]))}"))
            if kind in ("to_principal", "residual") and i != len(steps) - 1:
                report(Problem(where_step, f"`{kind}` must be the last step of its list "
                                           "(nothing after it would receive cash)"))
            if kind == "reserve_top_up" and s.reserve is None:
                report(Problem(where_step, "`reserve_top_up` needs a `reserve` block"))
            _, named = _step_ids(step)
            for sub, tid in named:
                where = _path("waterfall", section, i, *sub)
                if tid not in tranche_ids:
                    report(Problem(where, _unknown("tranche", tid, tranche_ids)))
                elif kind == "residual" and tid not in subordinated:
                    report(Problem(
                        where,
                        f"residual goes to a subordinated tranche; {tid!r} is not "
                        f"(subordinated: {', '.join(sorted(subordinated)) or 'none'})",
                    ))
                elif kind in seen:
                    if tid in seen[kind]:
                        report(Problem(where, f"tranche {tid!r} already has a `{kind}` step "
                                              f"in the {section} list"))
                    seen[kind].add(tid)
        for tid in tranche_ids:
            if section in ("principal", "post_acceleration") and tid not in seen["principal"]:
                report(Problem(_path("waterfall", section),
                               f"tranche {tid!r} is never paid principal in this list; "
                               f"add {{principal: {tid}}}"))
        if section != "principal":
            for tid in tranche_ids:
                if coupon[tid] > 0 and tid not in seen["interest"] and not (
                        section == "interest" and tid in _interest_in(wf.principal)):
                    report(Problem(_path("waterfall", section),
                                   f"tranche {tid!r} has a coupon but no `interest` step in "
                                   f"this list; add {{interest: {tid}}}"))


def _interest_in(steps) -> set[str]:
    out: set[str] = set()
    for step in steps or []:
        if isinstance(step, InterestStep):
            out.update([step.interest] if isinstance(step.interest, str) else step.interest)
    return out


def _check_reserve(s: ScenarioFields, report: Report) -> None:
    if s.reserve is None:
        return
    tranche_ids = [t.id for t in s.tranches]
    for k, tid in enumerate(s.reserve.covers or []):
        if tid not in tranche_ids:
            report(Problem(_path("reserve", "covers", k), _unknown("tranche", tid, tranche_ids)))


def _check_triggers(s: ScenarioFields, report: Report) -> None:
    tranche_ids = [t.id for t in s.tranches]
    obligor_ids = _Ids(o.id for o in s.obligors)
    for i, tr in enumerate(s.triggers):
        w = tr.when
        if w.interest_shortfall is not None and w.interest_shortfall not in tranche_ids:
            report(Problem(
                _path("triggers", i, "when", "interest_shortfall"),
                _unknown("tranche", w.interest_shortfall, tranche_ids),
            ))
        if w.provider_default is not None and w.provider_default not in obligor_ids:
            report(Problem(
                _path("triggers", i, "when", "provider_default"),
                _unknown("obligor", w.provider_default, obligor_ids),
            ))


# ----------------------------------------------------------------------------- analysis


def _check_sensitivities(s: ScenarioFields, report: Report) -> None:
    obligor_ids = _Ids(o.id for o in s.obligors)
    support_ids = [sp.id for sp in s.credit_support]
    for i, sens in enumerate(s.sensitivities):
        for oid, notch in (sens.rating_override or {}).items():
            where = _path("sensitivities", i, "rating_override", oid)
            if oid not in obligor_ids:
                report(Problem(where, _unknown("obligor", oid, obligor_ids)))
            if notch not in OBLIGOR_NOTCHES:
                report(Problem(
                    where, f"unknown rating {notch!r}; allowed: {', '.join(OBLIGOR_NOTCHES)}"
                ))
        for k, sid in enumerate(sens.remove_support or []):
            if sid not in support_ids:
                report(Problem(
                    _path("sensitivities", i, "remove_support", k),
                    _unknown("credit support", sid, support_ids),
                ))


def _check_importance(s: ScenarioFields, report: Report) -> None:
    imp = s.simulation.importance
    if imp is None:
        return
    tranche_ids = [t.id for t in s.tranches]
    if imp.target is not None and imp.target not in tranche_ids:
        report(Problem(_path("simulation", "importance", "target"),
                       _unknown("tranche", imp.target, tranche_ids)))
    names = factor_names(s.obligors, s.correlation)
    for name in imp.shift or {}:
        if name not in names:
            report(Problem(_path("simulation", "importance", "shift", name),
                           _unknown("factor", name, names)))


def _check_rating(s: ScenarioFields, report: Report) -> None:
    table = s.rating.table
    if table != "domestic" and not table.lower().endswith(".csv"):
        report(Problem(
            "rating.table",
            f"table {table!r} is neither `domestic` nor a CSV file (a path ending in .csv)",
        ))
    elif table != "domestic":
        # like assets_file: a file beside the scenario, never anywhere else
        pure = PurePosixPath(table)
        if pure.is_absolute() or PureWindowsPath(table).drive or ".." in pure.parts:
            report(Problem("rating.table", f"table {table!r} must be a CSV path inside the "
                                           "scenario's folder (relative, without '..')"))


def _check_report(s: ScenarioFields, report: Report) -> None:
    """The report's stressed run stays within the deal: its period by legal final."""
    stress = s.report.stress
    if stress.period > s.legal_final:
        report(Problem("report.stress.period", f"period {count_text(stress.period)} is after "
                                               f"legal_final {s.legal_final}; use 1.."
                                               f"{s.legal_final}"))


_CHECKS: tuple[Callable[[ScenarioFields, Report], None], ...] = (
    _check_bounds,
    _check_unique_ids,
    _check_obligors,
    _check_assets,
    _check_support,
    _check_tranches,
    _check_correlation,
    _check_waterfall,
    _check_reserve,
    _check_triggers,
    _check_sensitivities,
    _check_importance,
    _check_rating,
    _check_report,
)
