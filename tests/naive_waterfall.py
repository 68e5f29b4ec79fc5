"""A plain-Python twin of the cash side of one path, written from the format page and
docs/model.md.

It reads the Scenario directly (not the Plan), computes its own schedules and default
waterfall, walks the steps by their meaning, and finds every top-up (reserve draw,
shortfall commitment) by bisection on the amount that makes the covered items whole,
instead of the kernel's closed form. Used only in tests.
"""
from __future__ import annotations

PERIODS = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
TOL = 0.005


def principal_schedule(asset, ppy):
    """Scheduled principal without prepayment."""
    n, b, i = asset.term, asset.balance, asset.rate / ppy
    am = asset.amortization
    if not isinstance(am, str):
        return list(am.schedule)
    if am == "bullet":
        return [0.0] * (n - 1) + [b]
    if am == "equal_principal" or i == 0.0:
        sched = [b / n] * n
    else:
        pay = b * i / (1 - (1 + i) ** -n)
        sched, out = [], b
        for _ in range(n):
            sched.append(pay - out * i)
            out -= sched[-1]
    sched[-1] = b - sum(sched[:-1])
    return sched


def calendar_fractions(dates, ppy, T, convention):
    """Year fraction of periods 1..T (index 0 unused): payment dates a whole number of
    months apart on the first payment's day (a short month's last day), by day count."""
    import calendar
    import datetime as dt

    def shift(d, months, day):
        y = d.year + (d.month - 1 + months) // 12
        m = (d.month - 1 + months) % 12 + 1
        return dt.date(y, m, min(day, calendar.monthrange(y, m)[1]))

    step = 12 // ppy
    first = dates.first_payment or shift(dates.closing, step, dates.closing.day)
    days = [dates.closing] + [shift(first, k * step, first.day) for k in range(T)]
    out = [0.0]
    for a, b in zip(days, days[1:]):
        if convention == "period":
            out.append(1 / ppy)
        elif convention == "act/365":
            out.append((b - a).days / 365)
        elif convention == "act/360":
            out.append((b - a).days / 360)
        else:   # 30/360, US
            d1 = 30 if a.day == 31 else a.day
            d2 = 30 if b.day == 31 and d1 == 30 else b.day
            out.append((360 * (b.year - a.year) + 30 * (b.month - a.month) + d2 - d1) / 360)
    return out, [(d - days[0]).days / 365 for d in days]


def cash_schedule(asset, ppy, fractions=None):
    """[(balance at start, interest, principal incl. prepayment)] for periods 1..term;
    ``fractions`` (calendar dates) are the periods' year fractions by the assets' day count."""
    plain = principal_schedule(asset, ppy)
    smm = 1 - (1 - asset.prepayment) ** (1 / ppy)
    rows, bal, factor = [], asset.balance, 1.0
    for t in range(asset.term):
        start = bal * factor
        prepay = smm * (bal - plain[t]) * factor if t < asset.term - 1 else 0.0
        share = asset.rate / ppy if fractions is None else asset.rate * fractions[t + 1]
        rows.append((start, start * share, plain[t] * factor + prepay))
        bal -= plain[t]
        factor *= 1 - smm
    return rows


ASSET_LEVEL = ("loan_guarantee", "bank_guarantee", "ip_insurance", "risk_compensation")


def coverage(scenario):
    """Asset-level support indices covering each asset: those covering it (or listed by it),
    in loss order (bank guarantees rank with loan guarantees), listed order within a kind."""
    sup = scenario.credit_support
    order = list(scenario.loss_order)
    order += [k for k in ("loan_guarantee", "ip_insurance", "risk_compensation") if k not in order]

    def rank(n):
        kind = sup[n].type
        return order.index("loan_guarantee" if kind == "bank_guarantee" else kind)

    cov = []
    for a in scenario.assets:
        lst = [n for n, s in enumerate(sup) if s.type in ASSET_LEVEL
               and (s.covers == "all" or a.id in s.covers)]
        for sid in a.support:
            n = [s.id for s in sup].index(sid)
            if n not in lst:
                lst.append(n)
        cov.append(sorted(lst, key=rank))
    return cov


def plain_step(step):
    if isinstance(step, (str, dict)):
        return step
    return step.model_dump(exclude_none=True)


def default_lists(scenario):
    tranches = scenario.tranches
    seniors = [t.id for t in tranches if not t.subordinated]
    current = [t.id for t in tranches if not t.subordinated and t.interest == "current"]
    subs = [t for t in tranches if t.subordinated]
    sub_int = [{"interest": t.id} for t in subs if t.coupon > 0]
    sub_prin = [{"principal": t.id} for t in subs]
    res = [{"residual": subs[-1].id}] if subs else []
    back = (["reimbursement"] if any(s.type == "shortfall_commitment" and s.reimbursed
                                     for s in scenario.credit_support) else [])
    interest = (["fees"] + [{"interest": t} for t in seniors]
                + (["reserve_top_up"] if scenario.reserve is not None else [])
                + [{"to_principal": "rest"}])
    # principal collections first make up fees and current senior interest
    deferred = [{"interest": t.id} for t in tranches
                if not t.subordinated and t.interest == "deferrable"]
    principal = (["fees"] + [{"interest": t} for t in current]
                 + [{"principal": t} for t in seniors] + deferred + back + sub_int + sub_prin
                 + res)
    post = (["fees"] + [{"interest": t} for t in seniors] + [{"principal": t} for t in seniors]
            + back + sub_int + sub_prin + res)
    return interest, principal, post


class Deal:
    def __init__(self, scenario):
        self.sc = scenario
        self.T = scenario.legal_final
        self.ppy = PERIODS[scenario.payment_frequency]
        d = scenario.dates
        if d is None:
            self.note_frac, self.asset_frac = [1 / self.ppy] * (self.T + 1), None
            self.years = [t / self.ppy for t in range(self.T + 1)]
        else:
            self.note_frac, self.years = calendar_fractions(d, self.ppy, self.T, d.day_count)
            self.asset_frac = calendar_fractions(d, self.ppy, self.T, d.asset_day_count)[0]
        self.tr = scenario.tranches
        self.ids = [t.id for t in self.tr]
        self.fees = scenario.fees
        interest, principal, post = default_lists(scenario)
        wf = scenario.waterfall
        if wf is not None:
            interest, principal = list(wf.interest), list(wf.principal)
            if wf.post_acceleration is not None:
                post = list(wf.post_acceleration)
            principal, post = (self.place_reimbursement(scenario, x) for x in (principal, post))
        self.lists = {"interest": [plain_step(s) for s in interest],
                      "principal": [plain_step(s) for s in principal],
                      "post": [plain_step(s) for s in post]}
        res = scenario.reserve
        self.res_covers = set()
        if res is not None:
            self.res_covers = set(res.covers if res.covers is not None
                                  else [t.id for t in self.tr if not t.subordinated])

    @staticmethod
    def place_reimbursement(scenario, steps):
        """The format: without a `reimbursement` step, a reimbursed commitment is paid back
        just before the first payment to a subordinated tranche."""
        steps = [plain_step(x) for x in steps]
        if "reimbursement" in steps or not any(getattr(s, "reimbursed", False)
                                               for s in scenario.credit_support):
            return steps
        subs = {t.id for t in scenario.tranches if t.subordinated}
        for n, x in enumerate(steps):
            if isinstance(x, dict):
                ids = list(x.values())[0]
                if subs & set(ids if isinstance(ids, list) else [ids]):
                    return steps[:n] + ["reimbursement"] + steps[n:]
        return steps + ["reimbursement"]

    # ------------------------------------------------------------------ pool and support

    def run(self, tau, haircut, as_supporter=None):
        """tau: {obligor id: default period}; haircut: list in scenario collateral order;
        as_supporter: {obligor id: the date it stops paying as a supporter} for the runs of
        the rating ladder (0: defaulted from the start; past the horizon: never)."""
        sc, T, ppy = self.sc, self.T, self.ppy
        sup = sc.credit_support
        coll = {c.id: (n, c) for n, c in enumerate(sc.collateral)}
        cov = coverage(sc)
        self.tau = tau
        self.as_supporter = dict(as_supporter or {})
        self.cap_left = [s.size if s.type == "risk_compensation" else
                         (s.cap if s.cap is not None else float("inf")) for s in sup]
        self.capacity = {o.id: o.capacity for o in sc.obligors if o.capacity is not None}
        self.used = {oid: 0.0 for oid in self.capacity}
        self.exhausted = {}
        paid_sup = [[0.0] * len(sup) for _ in range(T + 1)]
        ci, cp, rec, perf = ([0.0] * (T + 1) for _ in range(4))
        defaulted_by = [0.0] * (T + 1)
        defaulted = []
        default_amt = 0.0
        # the engine's order: assets (and each asset's pledged items) by id, whatever the
        # file lists, so claims on one date are met in the order of the assets' ids
        for i, a in sorted(enumerate(sc.assets), key=lambda x: x[1].id):
            d = tau[a.obligor]
            for t, (start, interest, principal) in enumerate(
                    cash_schedule(a, ppy, self.asset_frac), start=1):
                if t == d:
                    # when each support pays: a guarantee after its lag; insurance and risk
                    # compensation `lag` after the loss is known (collateral and everything
                    # ranked before them in)
                    known = max([coll[c][1].lag for c in a.collateral], default=0)
                    offsets = []
                    for n in cov[i]:
                        s = sup[n]
                        off = s.lag if s.type in ("loan_guarantee", "bank_guarantee") \
                            else known + s.lag
                        offsets.append(off)
                        known = max(known, off)
                    defaulted.append({"i": i, "a": a, "tau": d, "ead": start + interest,
                                      "int_left": interest,
                                      "prin": start, "coll_pool": 0.0, "coll_total": 0.0,
                                      "g": [0.0] * len(cov[i]), "back": [0.0] * len(cov[i]),
                                      "off": offsets})
                    default_amt += start
                    defaulted_by[t] += start
                    break
                ci[t] += interest
                cp[t] += principal
                perf[t] += start
        self.recv_int = [0.0] * (T + 1)
        self.events = lambda t: self.asset_events(t, defaulted, cov, coll, haircut, paid_sup,
                                                  rec)
        pool = sum(a.balance for a in sc.assets)
        rows = self.waterfall_dates(tau, ci, cp, rec, perf, defaulted_by, paid_sup, pool)
        loss_amt = sum(max(0.0, e["prin"] - min(e["coll_total"], e["prin"])) for e in defaulted)
        return rows, default_amt / pool, loss_amt / pool

    def up(self, provider, t):
        if provider is None:
            return True
        return self.supporter_tau(provider) > t and self.exhausted.get(provider, t + 1) > t

    def supporter_tau(self, provider):
        return self.as_supporter.get(provider, self.tau[provider])

    def capacity_pays(self, provider, amount, t):
        if provider is None or provider not in self.capacity or amount <= 0:
            return amount
        left = self.capacity[provider] - self.used[provider]
        if amount > left:
            amount = max(left, 0.0)
            self.exhausted[provider] = t
        self.used[provider] += amount
        return amount

    def asset_events(self, t, defaulted, cov, coll, haircut, paid_sup, rec):
        sup = self.sc.credit_support
        for e in defaulted:
            a, i = e["a"], e["i"]
            for g, n in enumerate(cov[i]):
                s = sup[n]
                if e["tau"] + e["off"][g] != t or not self.up(s.provider, t):
                    continue
                uncovered = e["ead"] - e["coll_pool"] - sum(e["g"])
                if s.type == "ip_insurance":
                    p = s.share * max(0.0, uncovered - s.deductible)
                    if s.limit is not None:
                        p = min(p, s.limit)
                elif s.type == "risk_compensation":
                    p = s.share * uncovered
                else:
                    p = s.share * (e["ead"] - e["coll_pool"])
                p = self.capacity_pays(s.provider, min(p, uncovered, self.cap_left[n]), t)
                if p > 0:
                    self.cap_left[n] -= p
                    e["g"][g] += p
                    paid_sup[t][n] += p
                    self.book(e, t, p)
            for cid in sorted(a.collateral):
                n, c = coll[cid]
                if e["tau"] + c.lag != t or c.pledgee == "guarantor":
                    continue      # a counter-pledge goes to the guarantor, never to the pool
                cash = min(c.appraised_value * (1 - haircut[n]), e["ead"] - e["coll_total"])
                if cash <= 0:
                    continue
                e["coll_total"] += cash
                pool = self.share(e, [sup[q] for q in cov[i]], cash)
                e["coll_pool"] += pool
                rec[t] += pool
                self.book(e, t, pool)

    def book(self, e, t, amount):
        """What the pool receives on a defaulted loan: its interest part first."""
        part = min(amount, e["int_left"])
        e["int_left"] -= part
        self.recv_int[t] += part

    @staticmethod
    def share(e, sups, cash):
        """Collateral cash split by each provider's recovery_sharing; the pool's part."""
        owed = [e["g"][g] - e["back"][g] for g in range(len(sups))]
        pool_owed = max(0.0, e["ead"] - e["coll_pool"] - sum(e["g"]))
        mode = [s.recovery_sharing for s in sups]

        def give(g, x):
            e["back"][g] += x
            owed[g] -= x

        for g in range(len(sups)):            # guarantors first
            if mode[g] == "guarantor_first" and cash > 0:
                x = min(cash, owed[g])
                give(g, x)
                cash -= x
        pool = 0.0
        pr = [g for g in range(len(sups)) if mode[g] == "pro_rata" and owed[g] > 0]
        total = pool_owed + sum(max(0.0, owed[g]) for g in pr)
        if pr and cash > 0 and total > 0:      # the pool beside pro-rata guarantors
            amount = min(cash, total)
            for g in pr:
                x = amount * owed[g] / total
                give(g, x)
                cash -= x
            x = min(cash, amount * pool_owed / total)
            pool += x
            pool_owed -= x
            cash -= x
        x = min(cash, pool_owed)               # the noteholders before the rest (art. 700)
        pool += x
        cash -= x
        for g in range(len(sups)):
            if mode[g] == "creditor_first" and cash > 0:
                x = min(cash, owed[g])
                give(g, x)
                cash -= x
        return pool + max(cash, 0.0)

    # ------------------------------------------------------------------ dates

    def waterfall_dates(self, tau, ci, cp, rec, perf, defaulted_by, paid_sup, pool):
        sc, T, ppy = self.sc, self.T, self.ppy
        sup = sc.credit_support
        bal = [t.balance for t in self.tr]
        arrears = [0.0] * len(self.fees)
        int_arrears = [0.0] * len(self.tr)
        self.owed_back = [0.0] * len(sup)
        reserve = sc.reserve.initial if sc.reserve is not None else 0.0
        short_before = set()
        fired = {}
        accel = None
        carry_i = carry_p = 0.0
        cum_def = 0.0
        rows = []
        capacity_default = {o.id for o in sc.obligors if o.default_on_exhaustion}
        for t in range(1, T + 1):
            self.events(t)
            cum_def += defaulted_by[t]
            senior = sum(b for b, tr in zip(bal, self.tr) if not tr.subordinated)
            fee_due = []
            for f, fee in enumerate(self.fees):
                if fee.amount is not None:
                    acc = fee.amount
                elif fee.base == "interest_collections":
                    acc = fee.rate * ci[t]
                elif fee.base == "senior_balance":
                    acc = fee.rate * self.note_frac[t] * senior
                else:
                    acc = fee.rate * self.note_frac[t] * perf[t]
                fee_due.append(arrears[f] + acc)
            accrued = [b * tr.coupon * self.note_frac[t] for b, tr in zip(bal, self.tr)]
            int_due = [x + y for x, y in zip(accrued, int_arrears)]
            lg_in = sum(paid_sup[t][n] for n, s in enumerate(sup) if s.type in ASSET_LEVEL)
            ri = self.recv_int[t]
            ai, ap = carry_i + ci[t] + ri, carry_p + cp[t] + rec[t] + lg_in - ri
            for trig in sc.triggers:
                if trig.id in fired:
                    continue
                w = trig.when
                if w.cumulative_default_rate_above is not None:
                    hit = cum_def > w.cumulative_default_rate_above * pool
                elif w.interest_shortfall is not None:
                    hit = w.interest_shortfall in short_before
                else:
                    j = w.provider_default
                    hit = self.supporter_tau(j) <= t or (j in capacity_default
                                          and self.exhausted.get(j, T + 1) <= t)
                if hit:
                    fired[trig.id] = t
                    if accel is None:
                        accel = t
            post = accel is not None
            if post:
                ap, ai = ap + ai, 0.0
            st = {"t": t, "post": post, "fee_due": fee_due, "int_due": int_due, "bal": bal}
            # reserve
            if sc.reserve is not None:
                left = any(bal[k] > TOL for k, tid in enumerate(self.ids)
                           if tid in self.res_covers)
                if reserve > 0 and (t == T or not left):
                    ap += reserve
                    reserve = 0.0
                tgt = sc.reserve.target
                target = tgt if isinstance(tgt, (int, float)) else tgt.share_of_senior * senior
                st["gap"] = max(0.0, target - reserve)
                if reserve > 0:
                    need = self.least(lambda x: self.met(st, ai + x, ap, self.res_covers, True,
                                                         "interest_only"))
                    draw = min(reserve, need)
                    reserve -= draw
                    if post:
                        ap += draw
                    else:
                        ai += draw
                    st["gap"] = max(0.0, target - reserve)
            else:
                st["gap"] = 0.0
            # shortfall commitments
            for n, s in enumerate(sup):
                if s.type != "shortfall_commitment":
                    continue
                covered = set(s.covers)
                if post:
                    xi = 0.0
                    xp = self.least(lambda x: self.met(st, 0.0, ap + x, covered, False, "all"))
                elif self.principal_reaches(st, ai, covered):
                    # all accounts first: the principal list makes up what is short
                    xi = 0.0
                    xp = self.least(lambda x: self.met(st, ai, ap + x, covered, False, "all"))
                else:
                    xi = self.least(lambda x: self.met(st, ai + x, ap, covered, False,
                                                       "interest_list"))
                    xp = self.least(lambda x: self.met(st, ai + xi, ap + x, covered, False, "all"))
                need = xi + xp
                if need <= 0:
                    continue
                paid = 0.0
                cap_left = self.cap_left
                if self.up(s.provider, t):
                    paid = self.capacity_pays(s.provider, min(s.share * need, cap_left[n]), t)
                    cap_left[n] -= paid
                    paid_sup[t][n] += paid
                    if s.reimbursed:
                        self.owed_back[n] += paid
                if paid < s.share * need and not self.up(s.provider, t):
                    owed = s.share * need
                    for g, cg in enumerate(sup):
                        if cg.type != "commitment_guarantee" or cg.guarantees != s.id:
                            continue
                        if not self.up(cg.provider, t):
                            continue
                        p = self.capacity_pays(cg.provider, min(cg.share * (owed - paid),
                                                                cap_left[g]), t)
                        if p > 0:
                            cap_left[g] -= p
                            paid_sup[t][g] += p
                            paid += p
                            if s.reimbursed:
                                self.owed_back[g] += p
                to_i = min(paid, xi)
                ai += to_i
                ap += paid - to_i
            pay = self.pay_date(st, ai, ap)
            reserve += pay["topped"]
            for f in range(len(self.fees)):
                arrears[f] = fee_due[f] - pay["fees"][f]
            for k, tr in enumerate(self.tr):
                if pay["int"][k] < int_due[k] - TOL:
                    short_before.add(tr.id)
                int_arrears[k] = max(0.0, int_due[k] - pay["int"][k])  # stays owed
            for n in range(len(sup)):
                self.owed_back[n] -= pay["back"][n]
            bal = pay["rem"]
            carry_i, carry_p = pay["ai"], pay["ap"]
            rows.append({"t": t, "ci": ci[t], "cp": cp[t], "rec": rec[t], "sup": list(paid_sup[t]),
                         "back": list(pay["back"]),
                         "fees": pay["fees"], "int_due": accrued, "int": pay["int"],
                         "prin": pay["prin"], "res": pay["res"], "bal": list(bal),
                         "cash": carry_i + carry_p, "reserve": reserve, "post": post})
        self.fired = fired
        self.accel = accel
        return rows

    # ------------------------------------------------------------------ the steps

    def scheduled_balance(self, tr, t):
        """Balance left after date t if every instalment so far was paid."""
        spec = tr.principal
        if tr.subordinated or spec is None or spec == "pass_through":
            return tr.balance
        if hasattr(spec, "bullet"):
            return 0.0 if t >= spec.bullet else tr.balance
        return 0.0 if t >= len(spec.schedule) else max(0.0, tr.balance - sum(spec.schedule[:t]))

    def passes_through(self, tr):
        return not tr.subordinated and (tr.principal is None or tr.principal == "pass_through")

    def required(self, st, k):
        """Principal tranche k is due on this date (from its start-of-date balance)."""
        tr, b = self.tr[k], st["bal"][k]
        if st["t"] == self.T:
            return b
        if tr.subordinated or self.passes_through(tr):
            return 0.0
        return max(0.0, b - self.scheduled_balance(tr, st["t"]))

    def walk(self, steps, cash, st, pay):
        """Pay down one list; returns (cash left, whether it passed the rest on)."""
        t, T = st["t"], self.T
        rem = pay["rem"]
        for step in steps:
            owed_back = sum(o - b for o, b in zip(self.owed_back, pay["back"]))
            blocked = owed_back > TOL          # nothing subordinated while providers are owed
            notes_done = all(rem[k] <= TOL for k, tr in enumerate(self.tr) if not tr.subordinated)
            if step == "reimbursement":
                if notes_done:
                    for n in range(len(self.owed_back)):
                        p = min(cash, self.owed_back[n] - pay["back"][n])
                        if p > 0:
                            pay["back"][n] += p
                            cash -= p
                continue
            if step == "fees":
                for f in range(len(self.fees)):
                    p = min(cash, st["fee_due"][f] - pay["fees"][f])
                    if p > 0:
                        pay["fees"][f] += p
                        cash -= p
            elif step == "reserve_top_up":
                p = min(cash, st["gap"] - pay["topped"])
                if p > 0:
                    pay["topped"] += p
                    cash -= p
            elif "to_principal" in step:
                return cash, True
            elif "residual" in step:
                k = self.ids.index(step["residual"])
                if (t == T or notes_done) and not blocked:
                    cash = self.arrears_first(k, cash, st, pay, blocked)
                    pay["res"][k] += cash
                    cash = 0.0
            else:
                key = "interest" if "interest" in step else "principal"
                names = step[key] if isinstance(step[key], list) else [step[key]]
                ks = [self.ids.index(n) for n in names]
                if key == "interest":
                    owed = [0.0 if self.tr[k].subordinated and blocked
                            else max(0.0, st["int_due"][k] - pay["int"][k]) for k in ks]
                else:
                    cash = self.arrears_first(min(ks), cash, st, pay, blocked)
                    owed = []
                    for k in ks:
                        tr = self.tr[k]
                        if tr.subordinated:
                            owed.append(rem[k] if all(r <= TOL for r in rem[:k]) and not blocked
                                        else 0.0)
                        elif st["post"] or self.passes_through(tr) or t == T:
                            owed.append(rem[k])
                        else:
                            owed.append(max(0.0, rem[k] - self.scheduled_balance(tr, t)))
                total = sum(owed)
                if total <= 0 or cash <= 0:
                    continue
                amount = min(cash, total)
                if amount >= total:
                    shares = list(owed)
                else:
                    shares = [amount * o / total for o in owed[:-1]]
                    shares.append(amount - sum(shares))
                for k, x in zip(ks, shares):
                    if key == "interest":
                        pay["int"][k] += x
                    else:
                        pay["prin"][k] += x
                        rem[k] = 0.0 if x >= rem[k] else rem[k] - x
                cash -= amount
        return cash, False

    def arrears_first(self, k, cash, st, pay, blocked):
        """Before tranche k gets principal or the residual, every tranche above it is paid
        the interest it is still owed on the date, most senior first (a subordinated one
        not while a reimbursement is owed)."""
        for i in range(k):
            if self.tr[i].subordinated and blocked:
                continue
            p = min(cash, st["int_due"][i] - pay["int"][i])
            if p > 0:
                pay["int"][i] += p
                cash -= p
        return cash

    def pay_date(self, st, ai, ap):
        n = len(self.tr)
        pay = {"fees": [0.0] * len(self.fees), "int": [0.0] * n, "prin": [0.0] * n,
               "res": [0.0] * n, "rem": list(st["bal"]), "topped": 0.0,
               "back": [0.0] * len(self.owed_back)}
        if st["post"]:
            ap, _ = self.walk(self.lists["post"], ai + ap, st, pay)
            ai = 0.0
        else:
            ai, passed = self.walk(self.lists["interest"], ai, st, pay)
            if passed:
                ap, ai = ap + ai, 0.0
            ap, _ = self.walk(self.lists["principal"], ap, st, pay)
        pay["ai"], pay["ap"] = ai, ap
        return pay

    def met(self, st, ai, ap, covered, _unused, scope):
        """Are the covered items whole after this date's payments with this cash?

        ``scope``: ``interest_only`` (the reserve: covered interest in the list walked),
        ``interest_list`` (only the interest list is walked) or ``all``. An item counts
        only if the walked lists have a step for it.
        """
        pay = {"fees": [0.0] * len(self.fees), "int": [0.0] * len(self.tr),
               "prin": [0.0] * len(self.tr), "res": [0.0] * len(self.tr),
               "rem": list(st["bal"]), "topped": 0.0, "back": [0.0] * len(self.owed_back)}
        if st["post"]:
            self.walk(self.lists["post"], ai + ap, st, pay)
            walked = self.lists["post"]
        else:
            left, passed = self.walk(self.lists["interest"], ai, st, pay)
            walked = self.lists["interest"]
            if scope == "all":
                self.walk(self.lists["principal"], ap + (left if passed else 0.0), st, pay)
                walked = walked + self.lists["principal"]

        def named(key):
            return {n for s in walked if isinstance(s, dict) and key in s
                    for n in (s[key] if isinstance(s[key], list) else [s[key]])}

        with_interest, with_principal = named("interest"), named("principal")
        for k, tid in enumerate(self.ids):
            if tid not in covered:
                continue
            # below half a cent still owed is rounding, as in the engine
            if (tid in with_interest and st["int_due"][k] > TOL
                    and st["int_due"][k] - pay["int"][k] > 1e-9):
                return False
            if (scope != "interest_only" and tid in with_principal
                    and self.required(st, k) - pay["prin"][k] > 1e-9
                    and self.required(st, k) > TOL):
                return False
        return True

    def principal_reaches(self, st, ai, covered):
        """After the interest list with its own cash, can the principal list make up every
        covered interest still short (it has an interest step for each)?"""
        pay = {"fees": [0.0] * len(self.fees), "int": [0.0] * len(self.tr),
               "prin": [0.0] * len(self.tr), "res": [0.0] * len(self.tr),
               "rem": list(st["bal"]), "topped": 0.0, "back": [0.0] * len(self.owed_back)}
        self.walk(self.lists["interest"], ai, st, pay)
        in_principal = {n for s in self.lists["principal"] if isinstance(s, dict)
                        and "interest" in s
                        for n in (s["interest"] if isinstance(s["interest"], list)
                                  else [s["interest"]])}
        return all(tid in in_principal or st["int_due"][k] - pay["int"][k] <= TOL
                   for k, tid in enumerate(self.ids) if tid in covered)

    @staticmethod
    def least(ok):
        """Smallest non-negative x with ok(x), by bisection (ok is monotone)."""
        if ok(0.0):
            return 0.0
        hi = 1.0
        while not ok(hi):
            hi *= 2
            if hi > 1e18:        # no finite top-up makes the items whole: a bug, say so
                raise AssertionError("no top-up meets the covered items")
        lo = 0.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if ok(mid):
                hi = mid
            else:
                lo = mid
            if hi - lo < 1e-7:
                break
        return hi

    @staticmethod
    def outcome(tr, rows, T, ppy, k, years=None):
        due = sum(r["int_due"][k] for r in rows)
        got = sum(r["int"][k] + r["prin"][k] for r in rows)
        if tr.interest == "deferrable":
            missed = due - sum(r["int"][k] for r in rows) > TOL
        else:
            missed = any(r["int"][k] < r["int_due"][k] - TOL for r in rows)
        d = (not tr.subordinated and missed) or rows[-1]["bal"][k] > TOL
        if tr.default_at == "expected_maturity":
            d = d or rows[tr.expected_maturity() - 1]["bal"][k] > TOL
        short = due + tr.balance - got
        loss = short / tr.balance if tr.balance > 0 and short > TOL else 0.0
        paid = sum(r["prin"][k] for r in rows)
        when = (lambda t: t / ppy) if years is None else (lambda t: years[t])
        wal = sum(r["prin"][k] * when(r["t"]) for r in rows) / paid if paid > 0 else None
        return d, loss, wal
