"""Plausibility: what a structurer likely mistyped. Valid scenarios that change the answer
silently are warned about (``ipabs validate``, the head of every run, the result's
``warnings``, the report; ``--strict`` makes them exit 2); the list, with the reason for
each, is docs/plausibility.md. The counter-pledge without a guarantee is a hard error
(:func:`counter_pledge_problems`, run with the other checks)."""
from __future__ import annotations

from engine.errors import Problem
from engine.scenario.parts import covered_assets

#: Legal final more than this many years after the last asset's term is suspicious.
LEGAL_FINAL_SLACK_YEARS = 3
#: Appraised value of a loan's pledged IP outside these multiples of its balance.
COVERAGE_LOW, COVERAGE_HIGH = 0.10, 20.0
SUPPORTER_KINDS = ("guarantee_company", "bank", "insurer", "shareholder", "originator")


def counter_pledge_problems(scenario) -> list[Problem]:
    """``pledgee: guarantor`` (a counter-pledge, 反担保) on an asset no loan or bank
    guarantee covers: the IP would silently reach nobody."""
    guarded = set()
    for s in scenario.credit_support:
        if s.takes_counter_pledge:
            guarded.update(covered_assets(scenario, s))
    out = []
    index = {c.id: n for n, c in enumerate(scenario.collateral)}
    for i, a in enumerate(scenario.assets):
        if i in guarded:
            continue
        for cid in a.collateral:
            n = index.get(cid)
            if n is not None and scenario.collateral[n].pledgee == "guarantor":
                out.append(Problem(
                    f"collateral.{n}.pledgee",
                    f"{cid} is counter-pledged to the guarantor of {a.id}, which no loan or "
                    "bank guarantee covers: it would reach nobody; pledge it to the pool or "
                    "add the guarantee"))
    return out


def plausibility_warnings(scenario) -> list[Problem]:
    """Every likely slip of a valid scenario, as ``Problem`` (field path, message)."""
    return (_legal_final(scenario) + _shifts(scenario) + _coverage(scenario)
            + _coupons(scenario) + _unused(scenario))


def _legal_final(sc) -> list[Problem]:
    ppy = sc.periods_per_year
    last = max(a.term for a in sc.assets)
    out = []
    if sc.legal_final > last + LEGAL_FINAL_SLACK_YEARS * ppy:
        out.append(Problem("legal_final", f"{sc.legal_final} periods is more than "
                                          f"{LEGAL_FINAL_SLACK_YEARS} years after the last "
                                          f"asset's term ({last} periods)"))
    months = 12 // ppy
    if ppy < 12 and sc.legal_final % months == 0 and sc.legal_final // months >= last \
            and sc.legal_final > last + ppy:
        out.append(Problem("legal_final", f"{sc.legal_final} looks like months: legal final "
                                          f"is in periods of the {sc.payment_frequency} "
                                          f"deal; did you mean {sc.legal_final // months}?"))
    return out


def _shifts(sc) -> list[Problem]:
    out = []
    for k, case in enumerate(sc.sensitivities):
        shift = getattr(case, "haircut_shift", None)
        if shift:
            bad = [c for c in sc.collateral if not 0.0 <= c.haircut.mean + shift <= 1.0]
            if bad:
                c = bad[0]
                out.append(Problem(
                    f"sensitivities.{k}.haircut_shift",
                    f"moves the haircut of {c.id} ({c.haircut.mean:g}) to "
                    f"{c.haircut.mean + shift:g}, outside 0..1 ({len(bad)} item(s)): it is "
                    "clipped, so the case measures less than the shift says"))
        lag = getattr(case, "lag_shift", None)
        if lag and sc.collateral and all(c.lag + lag >= sc.legal_final for c in sc.collateral):
            out.append(Problem(f"sensitivities.{k}.lag_shift",
                               f"puts every recovery at or after legal final "
                               f"({sc.legal_final}): the case is 'no recovery', not a delay"))
    return out


def _coverage(sc) -> list[Problem]:
    value = {c.id: c.appraised_value for c in sc.collateral}
    out = []
    for i, a in enumerate(sc.assets):
        if not a.collateral:
            continue
        ratio = sum(value.get(c, 0.0) for c in a.collateral) / a.balance
        if not COVERAGE_LOW <= ratio <= COVERAGE_HIGH:
            out.append(Problem(f"assets.{i}.collateral",
                               f"the IP pledged to {a.id} is appraised at {ratio:.3g}x its "
                               f"balance, outside {COVERAGE_LOW:g}x..{COVERAGE_HIGH:g}x: a "
                               "value in the wrong unit?"))
    return out


def _coupons(sc) -> list[Problem]:
    if sc.credit_support:
        return []
    pool = sum(a.balance for a in sc.assets)
    rate = sum(a.balance * a.rate for a in sc.assets) / pool if pool else 0.0
    return [Problem(f"tranches.{k}.coupon",
                    f"{t.coupon:.4g} is above the pool's weighted rate {rate:.4g} and no credit "
                    "support tops it up")
            for k, t in enumerate(sc.tranches)
            if not t.subordinated and t.coupon > rate]


def _unused(sc) -> list[Problem]:
    borrowers = {a.obligor for a in sc.assets}
    providers = {s.provider for s in sc.credit_support if s.provider is not None}
    named = {t.when.provider_default for t in sc.triggers
             if t.when.provider_default is not None}
    out = []
    for j, o in enumerate(sc.obligors):
        if o.id in borrowers or o.id in providers or o.id in named:
            continue
        what = ("a supporter that supports nothing" if o.kind in SUPPORTER_KINDS
                else "no asset, support or trigger names it")
        out.append(Problem(f"obligors.{j}", f"{o.id}: {what} (it changes no result)"))
    return out

