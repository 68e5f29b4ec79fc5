"""The ``ipabs-state/v1`` deal state: a trustee report (受托机构报告) read for a tracking
rating (跟踪评级).

This module owns the state file: its models (the keys, closed and strict like a
scenario's), reading it with line numbers (:func:`load_state`), the checks of a state
against its scenario (:func:`check_state`) and the scenario a state is rated on
(:func:`tracked`). Turning a tracked scenario into kernel arrays is
:mod:`engine.tracking`'s job.

Conventions (``docs/tracking.md``):

- ``as_of`` counts payment dates elapsed; the simulation covers ``as_of + 1 ..
  legal_final`` and everything the state reports happened on or before date ``as_of``.
- A defaulted asset's collateral and support claims follow the scenario's lags from its
  default period; those falling on or before ``as_of`` are taken as already in
  ``received`` / ``support_paid`` (and ``support_used``), the later ones are simulated.
- Obligors still performing default by their conditional PD curves, survival to ``as_of``
  given: ``F_c(t) = (F(t) - F(as_of)) / (1 - F(as_of))``; an obligor the state gives a
  current ``rating`` or ``pd`` defaults by that curve, counted from ``as_of``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import warnings
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from engine.errors import Problem, ScenarioError, ScenarioWarning
from engine.inputs import Unreadable, path_inside, read_user_file, read_user_text
from engine.scenario.base import Amount
from engine.scenario.parts import (
    PD,
    ASSET_SUPPORT_TYPES,
    Id,
    Notch,
    _Model,
    covered_assets,
    format_amount,
)
from engine.scenario.validation_errors import translate_validation_error
from engine.scenario.yaml_lines import read_yaml
from engine.scenario.workbook import (XLSX_SUFFIXES, WorkbookError, choose_sheet, opened,
                                      sheet_rows)

__all__ = ["DealState", "AssetState", "TrancheState", "ObligorState", "load_state",
           "load_state_text", "check_state", "tracked", "STATE_FORMAT", "COVERAGE_TOLERANCE"]

STATE_FORMAT = "ipabs-state/v1"
#: Tranche balances may exceed what backs them by this share of the closing pool balance
#: (rounding, fees paid from principal) before the state is refused.
COVERAGE_TOLERANCE = 0.01
#: Money compared against a limit: this much over (a cent) is rounding, not an error.
CENT = 0.01


class AssetState(_Model):
    """One asset in the trustee report: performing (``balance``, 0 once repaid) or
    defaulted (``defaulted_in`` with its ``exposure`` and what came back)."""

    id: Id
    balance: Amount | None = Field(
        None, description="principal outstanding after date as_of (0: repaid or prepaid)")
    defaulted_in: int | None = Field(None, ge=1, description="the period it defaulted in")
    exposure: Amount | None = Field(
        None, description="exposure at default: principal outstanding plus that period's "
                          "interest")
    principal: Amount | None = Field(
        None, description="the principal part of `exposure` (default: all of it)")
    received: Amount = Field(
        0.0, description="collateral recoveries that reached the pool so far")
    support_paid: dict[str, Amount] = Field(
        {}, description="asset-level support id -> paid on this asset so far")
    paid_back: dict[str, Amount] = Field(
        {}, description="asset-level support id -> collateral paid back to its provider")

    @model_validator(mode="after")
    def _one_kind(self) -> AssetState:
        if (self.balance is None) == (self.defaulted_in is None):
            raise ValueError("give `balance` (performing or repaid) or `defaulted_in` with "
                             "`exposure` (defaulted), not both")
        if self.defaulted_in is not None and self.exposure is None:
            raise ValueError("a defaulted asset needs `exposure` (principal plus the period's "
                             "interest at default)")
        if self.balance is not None:
            extra = [k for k in ("exposure", "principal") if getattr(self, k) is not None]
            extra += [k for k in ("received",) if getattr(self, k)]
            extra += [k for k in ("support_paid", "paid_back") if getattr(self, k)]
            if extra:
                raise ValueError(f"{', '.join(extra)} only for a defaulted asset "
                                 "(`defaulted_in`); a performing asset has a `balance`")
        return self

    @property
    def defaulted(self) -> bool:
        return self.defaulted_in is not None


class TrancheState(_Model):
    """What a tranche still owes after date ``as_of``."""

    id: Id
    balance: Amount
    interest_arrears: Amount = Field(
        0.0, description="interest still owed from earlier dates (a missed coupon stays owed "
                         "on every tranche; on a deferrable one it is no default)")


class ObligorState(_Model):
    """An obligor's or supporter's current credit: a new rating or PD, a default, or the
    capacity it has used."""

    rating: Notch | None = None
    pd: PD | None = Field(None, description="annual, or cumulative per period from as_of on")
    defaulted: bool = False
    capacity_used: Amount = Field(0.0, description="of its `capacity`, already paid")

    @model_validator(mode="after")
    def _one(self) -> ObligorState:
        given = [k for k in ("rating", "pd") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError("give `rating` or `pd`, not both")
        if self.defaulted and given:
            raise ValueError(f"a defaulted obligor has no {given[0]}; remove it or "
                             "`defaulted: true`")
        return self


class CashState(_Model):
    """Cash left in the deal's accounts after date ``as_of`` (the reserve aside)."""

    interest: Amount = 0.0
    principal: Amount = 0.0


class DealState(_Model):
    """A deal's state after ``as_of`` payment dates: the ``ipabs-state/v1`` document."""

    format: Literal["ipabs-state/v1"]
    name: str | None = None
    as_of: Annotated[int, Field(ge=0)] | dt.date = Field(
        description="payment dates elapsed, or (a deal with `dates`) the payment date itself")
    assets: list[AssetState] | None = None
    assets_file: str | None = Field(
        None, description="CSV or .xlsx with columns id, balance, defaulted_in, exposure, "
                          "principal, received (instead of `assets`)")
    tranches: list[TrancheState]
    reserve: Amount = 0.0
    cash: CashState = CashState()
    support_used: dict[str, Amount] = Field(
        {}, description="support id -> paid under it so far (counts against its cap)")
    reimbursement_owed: dict[str, Amount] = Field(
        {}, description="support id -> commitment payments still owed back to its provider")
    fee_arrears: dict[str, Amount] = {}
    obligors: dict[str, ObligorState] = {}
    triggers_fired: list[str] = []
    cumulative_defaults: Amount | None = Field(
        None, description="principal defaulted up to as_of (default-rate triggers); default: "
                          "the defaulted assets' principal")

    _lines: Any = PrivateAttr(default=None)
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _assets_given(self) -> DealState:
        if (self.assets is None) == (self.assets_file is None):
            raise ValueError("give `assets` (a list) or `assets_file` (a CSV or .xlsx path), "
                             "exactly one")
        return self

    @property
    def source(self) -> str | None:
        """The file it was read from."""
        return self._source

    def line(self, path) -> int | None:
        return None if self._lines is None else self._lines.line_for(path)

    def asset(self, aid: str) -> AssetState | None:
        return next((a for a in self.assets or () if a.id == aid), None)

    def tranche(self, tid: str) -> TrancheState | None:
        return next((t for t in self.tranches if t.id == tid), None)

    def defaulted_principal(self) -> float:
        if self.cumulative_defaults is not None:
            return self.cumulative_defaults
        return sum((a.principal if a.principal is not None else a.exposure)
                   for a in self.assets or () if a.defaulted)


# ----------------------------------------------------------------------------- reading

_STATE_COLUMNS = ("id", "balance", "defaulted_in", "exposure", "principal", "received")


def _asset_rows(name: str, base_dir: Path) -> tuple[list[dict], list[str]]:
    """Rows of a state's ``assets_file`` (CSV or the first sheet of a workbook)."""
    try:
        path = path_inside(name, base_dir, "assets_file")
        raw = read_user_file(path)
    except Unreadable as exc:
        return [], [str(exc)]
    if PurePosixPath(name).suffix.lower() in XLSX_SUFFIXES:
        try:                                  # bounded and streamed (engine.scenario.workbook)
            with opened(raw, name) as book:
                table = [cells for _, cells in sheet_rows(choose_sheet(book, name, (), True),
                                                          name)]
        except WorkbookError as exc:
            return [], [str(exc)]
    else:
        try:
            table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        except (UnicodeDecodeError, csv.Error) as exc:
            return [], [f"{name}: cannot read the CSV ({exc})"]
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        return [], [f"{name}: empty; expected a header row: {','.join(_STATE_COLUMNS)}"]
    header = [h.strip() for h in table[0]]
    bad = [h for h in header if h not in _STATE_COLUMNS]
    if bad or "id" not in header:
        return [], [f"{name} row 1: columns must be among {', '.join(_STATE_COLUMNS)} with "
                    f"id (got {', '.join(header)})"]
    rows, errors = [], []
    for n, cells in enumerate(table[1:], start=2):
        row: dict[str, Any] = {}
        for col, cell in zip(header, cells):
            cell = cell.strip()
            if not cell:
                continue
            if col == "id":
                row[col] = cell
                continue
            try:
                number = float(cell.replace("_", "").replace(",", ""))
                row[col] = int(number) if col == "defaulted_in" and number.is_integer() \
                    else number
            except ValueError:
                errors.append(f"{name} row {n}, column {col}: expected a number, got {cell!r}")
        rows.append(row)
    return rows, errors


def load_state(path: str | os.PathLike[str]) -> DealState:
    """Read an ``ipabs-state/v1`` file (the shape only: :func:`check_state` checks it
    against its scenario).

    Raises
    ------
    ScenarioError
        Every problem, with its key path and line, ``source`` the file.
    """
    source = os.fspath(path)
    text, _ = read_user_text(source, "the state file")
    return load_state_text(text, source, Path(source).absolute().parent)


def load_state_text(text: str, source: str = "<string>",
                    base_dir: Path | None = None) -> DealState:
    """:func:`load_state` from YAML text."""
    data, lines, problems = read_yaml(text)
    if problems:
        raise ScenarioError(problems, source=source)
    if not isinstance(data, dict):
        raise ScenarioError(Problem("", f"a deal state is a mapping of keys starting with "
                                        f"`format: {STATE_FORMAT}`", 1), source=source)
    data = dict(data)
    out: list[Problem] = []
    if isinstance(data.get("assets_file"), str) and "assets" not in data:
        if base_dir is None:
            out.append(Problem("assets_file", "needs the state file's folder",
                               lines.line_for(("assets_file",))))
        else:
            rows, errors = _asset_rows(data["assets_file"], base_dir)
            out += [Problem("assets_file", e, lines.line_for(("assets_file",))) for e in errors]
            data["assets"] = rows
            data["_file"] = data.pop("assets_file")
    from_file = data.pop("_file", None)
    try:
        state = DealState.model_validate(data)
    except ValidationError as exc:
        for located in translate_validation_error(exc, DealState):
            loc = located.loc
            if from_file is not None and loc[:1] == ("assets",):
                out.append(Problem("assets_file", f"{from_file} data row "
                                                  f"{loc[1] + 1 if len(loc) > 1 else '?'}: "
                                                  f"{'.'.join(map(str, loc[2:]))}: "
                                                  f"{located.message}",
                                   lines.line_for(("assets_file",))))
            else:
                out.append(Problem(".".join(map(str, loc)), located.message,
                                   lines.line_for(loc)))
        raise ScenarioError(out, source=source) from None
    if out:
        raise ScenarioError(out, source=source)
    if from_file is not None:
        state = state.model_copy(update={"assets_file": from_file})
    state._lines = lines
    state._source = source
    return state


# ----------------------------------------------------------------------------- checks


def check_state(scenario, state: DealState) -> list[Problem]:
    """Every way ``state`` does not fit ``scenario``, with the state's lines.

    Checked: ids exist (assets, tranches, supports, fees, obligors, triggers) and every
    asset and tranche is reported once, every trigger listed once; ``as_of`` before legal
    final; balances within the originals; a defaulted asset defaulted by ``as_of``, within
    its exposure; an obligor reported defaulted has no asset still performing; support
    within its cap, capacity used within the capacity, defaults so far within the closing
    pool and every other amount within :func:`amount_bound`; and that the tranches are backed: their balances may exceed the
    performing pool, the defaulted exposure not yet recovered, the cash and the reserve
    by at most the closing gap between notes and pool plus ``COVERAGE_TOLERANCE`` of the
    closing pool balance.
    """
    try:
        state = resolve_as_of(scenario, state)
    except ScenarioError as exc:
        return list(exc.problems)
    out: list[Problem] = []

    def bad(path, message):
        parts = path if isinstance(path, tuple) else tuple(path.split("."))
        out.append(Problem(".".join(map(str, parts)), message, state.line(parts)))

    L = scenario.legal_final
    if state.as_of >= L:
        bad("as_of", f"{state.as_of} is not before legal final ({L}): nothing is left to "
                     f"simulate; as_of counts payment dates elapsed, 0..{L - 1}")
    assets = {a.id: a for a in scenario.assets}
    seen: set[str] = set()
    from engine.waterfall.calendar import asset_accrual
    from engine.waterfall.schedules import asset_schedules

    ppy = scenario.periods_per_year
    accrual = asset_accrual(scenario, L)
    prin, intr, out_start = asset_schedules(scenario.assets, L, ppy, accrual)
    # a period's interest at most: rate / f, or the longest period's by the day count
    longest = 1.0 / ppy if accrual is None else max(1.0 / ppy, float(accrual.max()))
    index = {a.id: i for i, a in enumerate(scenario.assets)}
    asset_support = {s.id for s in scenario.credit_support if s.type in ASSET_SUPPORT_TYPES}
    defaulted_obligors: dict[str, str] = {}
    for n, a in _reported(state.assets or (), assets, "asset", "assets", bad, seen):
        where = ("assets", n)
        orig = assets[a.id]
        i = index[a.id]
        if a.balance is not None:
            if a.balance > orig.balance + CENT:
                bad(where + ("balance",), f"{format_amount(a.balance)} is above the asset's "
                                          f"original balance {format_amount(orig.balance)}")
            elif a.balance > CENT and state.as_of < L and (
                    state.as_of >= orig.term or out_start[i, state.as_of + 1] <= 0.0):
                bad(where + ("balance",), f"the asset's term ({orig.term}) ended by date "
                                          f"{state.as_of}: report it repaid (0) or defaulted")
            continue
        defaulted_obligors[orig.obligor] = a.id
        if a.defaulted_in > state.as_of:
            bad(where + ("defaulted_in",), f"period {a.defaulted_in} is after as_of "
                                           f"({state.as_of}): a default the report cannot "
                                           "know; use 1..as_of")
        elif a.defaulted_in > orig.term:
            bad(where + ("defaulted_in",), f"period {a.defaulted_in} is after the asset's "
                                           f"term ({orig.term})")
        top = orig.balance * (1.0 + orig.rate * longest)
        if a.exposure > top + CENT:
            bad(where + ("exposure",), f"{format_amount(a.exposure)} is above the original "
                                       f"balance plus a period's interest "
                                       f"({format_amount(top)})")
        if a.principal is not None and a.principal > a.exposure + CENT:
            bad(where + ("principal",), "is above the exposure")
        covering = [s.id for s in scenario.credit_support
                    if s.id in asset_support and i in covered_assets(scenario, s)]
        for key in ("support_paid", "paid_back"):
            for sid in getattr(a, key):
                if sid not in covering:
                    bad(where + (key, sid), f"{sid!r} does not cover asset {a.id}; what "
                                            f"covers it: {', '.join(covering) or 'nothing'}")
        got = a.received + sum(a.support_paid.values())
        if got > a.exposure + CENT:
            bad(where + ("received",), f"received and support paid "
                                       f"({format_amount(got)}) exceed the exposure "
                                       f"({format_amount(a.exposure)})")
    missing = [aid for aid in assets if aid not in seen]
    if missing and state.assets is not None:
        bad("assets", f"every asset of the scenario must be reported; missing: "
                      f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    for oid, aid in defaulted_obligors.items():
        for n, a in enumerate(state.assets or ()):
            if a.id in assets and assets[a.id].obligor == oid and (a.balance or 0.0) > CENT:
                bad(("assets", n, "balance"), f"obligor {oid} defaulted (asset {aid}): its "
                                              f"asset {a.id} cannot still perform; report it "
                                              "defaulted or repaid")
    tranches = {t.id: t for t in scenario.tranches}
    seen = set()
    for n, t in _reported(state.tranches, tranches, "tranche", "tranches", bad, seen):
        where = ("tranches", n)
        if t.balance > tranches[t.id].balance + CENT:
            bad(where + ("balance",), f"{format_amount(t.balance)} is above the tranche's "
                                      f"original balance "
                                      f"{format_amount(tranches[t.id].balance)}")
    missing = [tid for tid in tranches if tid not in seen]
    if missing:
        bad("tranches", f"every tranche must be reported; missing: {', '.join(missing)}")
    supports = {s.id: s for s in scenario.credit_support}
    for key in ("support_used", "reimbursement_owed"):
        for sid, amount in getattr(state, key).items():
            if sid not in supports:
                bad((key, sid), f"unknown support {sid!r}; the scenario's: {_some(supports)}")
                continue
            s = supports[sid]
            cap = s.aggregate_cap()
            if key == "support_used" and cap is not None and amount > cap + CENT:
                bad((key, sid), f"{format_amount(amount)} is above its {s.cap_key} "
                                f"({format_amount(cap)})")
    paid_on_assets: dict[str, float] = {}
    for a in state.assets or ():
        for sid, x in a.support_paid.items():
            paid_on_assets[sid] = paid_on_assets.get(sid, 0.0) + x
    for sid, x in paid_on_assets.items():
        if sid in supports and state.support_used.get(sid, 0.0) < x - CENT:
            bad(("support_used", sid), f"{format_amount(state.support_used.get(sid, 0.0))} is "
                                       f"less than the assets' support_paid under it "
                                       f"({format_amount(x)})")
    fees = {f.id for f in scenario.fees}
    for fid in state.fee_arrears:
        if fid not in fees:
            bad(("fee_arrears", fid), f"unknown fee {fid!r}; the scenario's: {_some(fees)}")
    obligors = {o.id: o for o in scenario.obligors}
    for oid, o in state.obligors.items():
        if oid not in obligors:
            bad(("obligors", oid), f"unknown obligor {oid!r}; the scenario's: "
                                   f"{_some(obligors)}")
        elif o.capacity_used and obligors[oid].capacity is None:
            bad(("obligors", oid, "capacity_used"), f"obligor {oid} has no `capacity`")
        elif o.pd is not None and o.pd.cumulative is not None and \
                len(o.pd.cumulative) < L - state.as_of:
            bad(("obligors", oid, "pd", "cumulative"),
                f"needs {L - state.as_of} periods (as_of + 1 .. legal final), got "
                f"{len(o.pd.cumulative)}")
    triggers = {t.id for t in scenario.triggers}
    for n, tid in enumerate(state.triggers_fired):
        if tid not in triggers:
            bad(("triggers_fired", n), f"unknown trigger {tid!r}; the scenario's: "
                                       f"{_some(triggers) or 'none'}")
        elif tid in state.triggers_fired[:n]:
            bad(("triggers_fired", n), f"trigger {tid!r} is listed twice")
    _check_defaulted_obligors(scenario, state, bad)
    _check_amounts(scenario, state, bad)
    if not out and state.assets is not None:
        out += _coverage(scenario, state, bad)
    return out


def amount_bound(scenario) -> float:
    """The most any amount of a deal state may be: the closing pool and notes with interest
    over the whole horizon at the deal's highest rate (at least 100% a year), plus every
    fixed fee over the horizon. Generous by design: it only refuses amounts no trustee
    report can hold (1e308, a misplaced exponent)."""
    years = scenario.legal_final / scenario.periods_per_year
    rate = max([1.0] + [a.rate for a in scenario.assets]
               + [t.coupon or 0.0 for t in scenario.tranches]
               + [f.rate or 0.0 for f in scenario.fees])
    principal = sum(a.balance for a in scenario.assets) + sum(t.balance
                                                              for t in scenario.tranches)
    fixed = sum(f.amount or 0.0 for f in scenario.fees) * scenario.legal_final
    return principal * (1.0 + rate * years) + fixed


def _state_amounts(state: DealState):
    """``(path, amount)`` of a state's amounts that no other rule bounds."""
    yield ("reserve",), state.reserve
    yield ("cash", "interest"), state.cash.interest
    yield ("cash", "principal"), state.cash.principal
    for key in ("support_used", "reimbursement_owed", "fee_arrears"):
        for name, x in getattr(state, key).items():
            yield (key, name), x
    for n, t in enumerate(state.tranches):
        yield ("tranches", n, "interest_arrears"), t.interest_arrears
    for n, a in enumerate(state.assets or ()):
        for sid, x in a.paid_back.items():
            yield ("assets", n, "paid_back", sid), x


def _check_amounts(scenario, state: DealState, bad) -> None:
    """Every amount within :func:`amount_bound`; defaults so far within the closing pool;
    capacity used within the capacity."""
    top = amount_bound(scenario)
    for path, x in _state_amounts(state):
        if x > top:
            bad(path, f"{format_amount(x)} is more than this deal can owe or hold "
                      f"({format_amount(top)}: its closing pool and notes with interest over "
                      "the horizon at its highest rate, at least 100% a year, and its fixed "
                      "fees); check the amount")
    pool = sum(a.balance for a in scenario.assets)
    if state.cumulative_defaults is not None and state.cumulative_defaults > pool + CENT:
        bad("cumulative_defaults", f"{format_amount(state.cumulative_defaults)} is more than "
                                   f"the closing pool ({format_amount(pool)})")
    capacity = {o.id: o.capacity for o in scenario.obligors}
    for oid, o in state.obligors.items():
        cap = capacity.get(oid)
        if cap is not None and o.capacity_used > cap + CENT:
            bad(("obligors", oid, "capacity_used"), f"{format_amount(o.capacity_used)} is more "
                                                    f"than its capacity ({format_amount(cap)})")


def _check_defaulted_obligors(scenario, state: DealState, bad) -> None:
    """An obligor the state reports defaulted has no asset still performing (report the
    asset defaulted or repaid)."""
    owner = {a.id: a.obligor for a in scenario.assets}
    for n, a in enumerate(state.assets or ()):
        oid = owner.get(a.id)
        s = state.obligors.get(oid) if oid is not None else None
        if s is not None and s.defaulted and (a.balance or 0.0) > CENT:
            bad(("assets", n, "balance"), f"obligor {oid} is reported defaulted "
                                          f"(obligors.{oid}.defaulted) but its asset {a.id} "
                                          "still performs; report the asset defaulted "
                                          "(defaulted_in, exposure) or repaid")


def provider_trigger_warnings(scenario, state: DealState) -> list[str]:
    """A provider reported defaulted whose ``provider_default`` trigger is not in
    ``triggers_fired``: a warning, not an error. Deals test their acceleration events on a
    determination date and apply them from the next payment date, so a default reported
    since the last one has legitimately not fired the trigger yet; the run fires it on the
    first simulated date, where the provider defaults."""
    out = []
    for t in scenario.triggers:
        oid = t.when.provider_default
        s = state.obligors.get(oid) if oid is not None else None
        if s is not None and s.defaulted and t.id not in state.triggers_fired:
            out.append(f"{state.source or 'state'}: obligor {oid} is reported defaulted but "
                       f"trigger {t.id} (provider_default: {oid}) is not in triggers_fired: "
                       "the run fires it on the first simulated date (as a deal testing it "
                       "on its next determination date would); if it fired by as_of, add it")
    return out


def _coverage(scenario, state, bad) -> list[Problem]:
    """Do the tranches' balances add up with what backs them? Notes are paid down only by
    cash the pool brings in, so they can exceed the performing pool by no more than the
    losses so far (defaulted exposure less recoveries and support paid: notes are not
    written down), the cash held and the closing gap."""
    pool = sum(a.balance or 0.0 for a in state.assets)
    pending = sum(max(0.0, a.exposure - a.received - sum(a.support_paid.values()))
                  for a in state.assets if a.defaulted)
    backing = pool + pending + state.cash.interest + state.cash.principal + state.reserve
    notes = sum(t.balance for t in state.tranches)
    closing_pool = sum(a.balance for a in scenario.assets)
    gap = max(0.0, sum(t.balance for t in scenario.tranches) - closing_pool)
    allowed = backing + gap + COVERAGE_TOLERANCE * closing_pool
    if notes > allowed:
        bad("tranches", f"the tranches owe {format_amount(notes)} but the pool, the defaulted "
                        f"exposure still to recover, the cash and the reserve come to "
                        f"{format_amount(backing)}: more than the closing gap "
                        f"({format_amount(gap)}) plus {COVERAGE_TOLERANCE:.0%} of the closing "
                        f"pool apart; check the balances")
    return []


def _reported(items, known, kind: str, section: str, bad, seen: set):
    """``(position, item)`` of each reported item whose id the scenario knows; an unknown id
    or one reported twice goes to ``bad``. ``seen`` collects the ids reported."""
    for n, x in enumerate(items):
        where = (section, n)
        if x.id not in known:
            bad(where + ("id",), f"unknown {kind} {x.id!r}; the scenario's {section}: "
                                 f"{_some(known)}")
            continue
        if x.id in seen:
            bad(where + ("id",), f"{kind} {x.id!r} is reported twice")
        seen.add(x.id)
        yield n, x


def _some(ids) -> str:
    ids = list(ids)
    return ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")


def resolve_as_of(scenario, state: DealState) -> DealState:
    """``state`` with ``as_of`` as the number of payment dates elapsed: a date given is
    matched to the deal's payment dates (a ScenarioError naming ``as_of`` otherwise)."""
    if not isinstance(state.as_of, dt.date):
        return state
    from engine.waterfall.calendar import payment_dates

    where = state.line(("as_of",))
    if scenario.dates is None:
        raise ScenarioError(Problem("as_of", "a date needs the scenario's `dates` block; give "
                                             "the number of payment dates elapsed", where),
                            source=state.source)
    days = payment_dates(scenario.dates, scenario.periods_per_year, scenario.legal_final)
    if state.as_of not in days:
        shown = ", ".join(d.isoformat() for d in days[:4])
        raise ScenarioError(Problem("as_of", f"{state.as_of.isoformat()} is not a payment date "
                                             f"of the deal (closing and the dates: {shown}, "
                                             "...)", where), source=state.source)
    out = state.model_copy(update={"as_of": days.index(state.as_of)})
    out._lines, out._source = state._lines, state._source
    return out


def tracked(scenario, state: DealState):
    """The scenario rated at ``state``: checked (a :class:`ScenarioError` naming the state
    file and its lines otherwise), the supporters' current ratings in place of the closing
    ones (so the support ladder uses them), the state attached (:attr:`Scenario.state`)."""
    state = resolve_as_of(scenario, state)
    problems = check_state(scenario, state)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line is None, p.line or 0)),
                            source=state.source)
    update = {}
    if state.obligors:
        obligors = []
        for o in scenario.obligors:
            s = state.obligors.get(o.id)
            if s is not None and s.defaulted:
                o = o.model_copy(update={"rating": "C", "pd": None})
            elif s is not None and (s.rating is not None or s.pd is not None):
                o = o.model_copy(update={"rating": s.rating, "pd": s.pd})
            obligors.append(o)
        update["obligors"] = obligors
    out = scenario.model_copy(update=update)
    out._state = state
    waived = provider_trigger_warnings(scenario, state)
    for message in waived:
        warnings.warn(ScenarioWarning(message), stacklevel=2)
    out._warnings = tuple(scenario.warnings) + tuple(waived)
    return out


def closing_state(scenario) -> dict:
    """The ``ipabs-state/v1`` document of ``scenario`` at closing (``as_of: 0``): every
    asset and tranche at its original balance, the reserve as funded."""
    return {"format": STATE_FORMAT, "name": f"{scenario.name}: at closing", "as_of": 0,
            "assets": [{"id": a.id, "balance": a.balance} for a in scenario.assets],
            "tranches": [{"id": t.id, "balance": t.balance} for t in scenario.tranches],
            "reserve": 0.0 if scenario.reserve is None else scenario.reserve.initial}


def state_yaml(doc: dict) -> str:
    """A state document as ``ipabs-state/v1`` YAML text (one asset or tranche a line)."""
    import yaml

    head = ("# ipabs-state/v1: the deal after `as_of` payment dates (docs/tracking.md)\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100,
                                 default_flow_style=None)
