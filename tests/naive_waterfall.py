"""A plain-Python twin of the cash side of one path, written from the format page.

It reads the Scenario directly (not the Plan), computes its own schedules, and finds a
shortfall commitment's payment by bisection on the amount that makes the covered
items whole, instead of the kernel's closed form. Used only in tests.
"""
from __future__ import annotations

PERIODS = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
TOL = 0.005


def principal_schedule(asset, ppy):
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


def coverage(scenario):
    """Loan-level support indices covering each asset, in the engine's documented order."""
    sup = scenario.credit_support
    cov = []
    for a in scenario.assets:
        lst = [n for n, s in enumerate(sup) if s.type in ("loan_guarantee", "bank_guarantee")
               and (s.covers == "all" or a.id in s.covers)]
        for sid in a.support:
            n = [s.id for s in sup].index(sid)
            if n not in lst:
                lst.append(n)
        cov.append(lst)
    return cov


class Deal:
    def __init__(self, scenario):
        self.sc = scenario
        self.T = scenario.legal_final
        self.ppy = PERIODS[scenario.payment_frequency]
        self.tr = scenario.tranches
        self.fees = scenario.fees

    def run(self, tau, haircut):
        """tau: {obligor id: default period}; haircut: list in scenario collateral order."""
        sc, T, ppy = self.sc, self.T, self.ppy
        sup = sc.credit_support
        coll = {c.id: (n, c) for n, c in enumerate(sc.collateral)}
        cov = coverage(sc)
        cap_left = [s.cap if s.cap is not None else float("inf") for s in sup]
        paid_sup = [[0.0] * len(sup) for _ in range(T + 1)]
        ci = [0.0] * (T + 1)
        cp = [0.0] * (T + 1)
        rec = [0.0] * (T + 1)
        perf = [0.0] * (T + 1)
        defaulted = []
        default_amt = 0.0
        for i, a in enumerate(sc.assets):
            sched = principal_schedule(a, ppy)
            out = a.balance
            d = tau[a.obligor]
            for t in range(1, a.term + 1):
                interest = out * a.rate / ppy
                if t == d:
                    defaulted.append({"i": i, "a": a, "tau": d, "ead": out + interest,
                                      "prin": out, "coll_pool": 0.0, "coll_total": 0.0,
                                      "g": [0.0] * len(cov[i]), "back": [0.0] * len(cov[i])})
                    default_amt += out
                    break
                ci[t] += interest
                cp[t] += sched[t - 1]
                perf[t] += out
                out -= sched[t - 1]
        for t in range(1, T + 1):
            for e in defaulted:
                a, i = e["a"], e["i"]
                for g, n in enumerate(cov[i]):
                    s = sup[n]
                    if e["tau"] + s.lag != t or tau[s.provider] <= t:
                        continue
                    p = min(s.share * (e["ead"] - e["coll_pool"]),
                            e["ead"] - e["coll_pool"] - sum(e["g"]), cap_left[n])
                    if p > 0:
                        cap_left[n] -= p
                        e["g"][g] += p
                        paid_sup[t][n] += p
                for cid in a.collateral:
                    n, c = coll[cid]
                    if e["tau"] + c.lag != t:
                        continue
                    cash = min(c.appraised_value * (1 - haircut[n]), e["ead"] - e["coll_total"])
                    if cash <= 0:
                        continue
                    e["coll_total"] += cash
                    for g in range(len(cov[i])):
                        back = min(cash, e["g"][g] - e["back"][g])
                        if back > 0:
                            e["back"][g] += back
                            cash -= back
                    e["coll_pool"] += cash
                    rec[t] += cash
        loss_amt = sum(max(0.0, e["prin"] - min(e["coll_total"], e["prin"])) for e in defaulted)

        bal = [t.balance for t in self.tr]
        paid_cum = [0.0] * len(self.tr)
        arrears = [0.0] * len(self.fees)
        carry_i = carry_p = 0.0
        rows = []
        for t in range(1, T + 1):
            senior = sum(b for b, tr in zip(bal, self.tr) if not tr.subordinated)
            fee_due = []
            for f, fee in enumerate(self.fees):
                if fee.amount is not None:
                    acc = fee.amount
                elif fee.base == "interest_collections":
                    acc = fee.rate * ci[t]
                elif fee.base == "senior_balance":
                    acc = fee.rate / ppy * senior
                else:
                    acc = fee.rate / ppy * perf[t]
                fee_due.append(arrears[f] + acc)
            int_due = [b * tr.coupon / ppy for b, tr in zip(bal, self.tr)]
            lg_in = sum(paid_sup[t][n] for n, s in enumerate(sup)
                        if s.type in ("loan_guarantee", "bank_guarantee"))
            ai, ap = carry_i + ci[t], carry_p + cp[t] + rec[t] + lg_in
            for n, s in enumerate(sup):
                if s.type != "shortfall_commitment":
                    continue
                need_i, need_p = self.need(t, s, ai, ap, fee_due, int_due, bal, paid_cum)
                need = need_i + need_p
                if need <= 0:
                    continue
                paid = 0.0
                if tau[s.provider] > t:
                    paid = min(s.share * need, cap_left[n])
                    cap_left[n] -= paid
                    paid_sup[t][n] += paid
                else:
                    owed = s.share * need
                    for g, cg in enumerate(sup):
                        if cg.type != "commitment_guarantee" or cg.guarantees != s.id:
                            continue
                        if tau[cg.provider] <= t:
                            continue
                        p = min(cg.share * (owed - paid), cap_left[g])
                        if p > 0:
                            cap_left[g] -= p
                            paid_sup[t][g] += p
                            paid += p
                to_i = min(paid, need_i)
                ai += to_i
                ap += paid - to_i
            pf, pi, pp, pr, ai, ap = self.waterfall(t, ai, ap, fee_due, int_due, bal, paid_cum)
            for f in range(len(self.fees)):
                arrears[f] = fee_due[f] - pf[f]
            for k in range(len(self.tr)):
                bal[k] -= pp[k]
                paid_cum[k] += pp[k]
            carry_i, carry_p = ai, ap
            rows.append({"t": t, "ci": ci[t], "cp": cp[t], "rec": rec[t], "sup": list(paid_sup[t]),
                         "fees": pf, "int_due": int_due, "int": pi, "prin": pp, "res": pr,
                         "bal": list(bal), "cash": ai + ap})
        pool = sum(a.balance for a in sc.assets)
        return rows, default_amt / pool, loss_amt / pool

    def waterfall(self, t, ai, ap, fee_due, int_due, bal, paid_cum):
        n = len(self.tr)
        pf = [0.0] * len(self.fees)
        pi, pp, pr = [0.0] * n, [0.0] * n, [0.0] * n
        for f in range(len(self.fees)):
            pf[f] = min(ai, fee_due[f])
            ai -= pf[f]
        for k, tr in enumerate(self.tr):
            if not tr.subordinated:
                pi[k] = min(ai, int_due[k])
                ai -= pi[k]
        ap += ai
        ai = 0.0
        rem = list(bal)
        for k, tr in enumerate(self.tr):
            if tr.subordinated:
                claim = rem[k] if all(r <= 0 for r in rem[:k]) else 0.0
            elif t == self.T or self.pass_through(tr):
                claim = rem[k]
            else:
                claim = max(0.0, rem[k] - self.scheduled_balance(tr, t))
            pp[k] = min(ap, claim)
            rem[k] -= pp[k]
            ap -= pp[k]
        subs = [k for k, tr in enumerate(self.tr) if tr.subordinated]
        if subs and (t == self.T or all(rem[k] <= 0 for k, tr in enumerate(self.tr)
                                       if not tr.subordinated)):
            pr[subs[-1]] = ap
            ap = 0.0
        return pf, pi, pp, pr, ai, ap

    @staticmethod
    def pass_through(tr):
        return tr.principal is None or tr.principal == "pass_through"

    def scheduled_balance(self, tr, t):
        """Balance left after date t if every instalment so far was paid."""
        spec = tr.principal
        if hasattr(spec, "bullet"):
            return 0.0 if t >= spec.bullet else tr.balance
        return 0.0 if t >= len(spec.schedule) else max(0.0, tr.balance - sum(spec.schedule[:t]))

    def need(self, t, s, ai, ap, fee_due, int_due, bal, paid_cum):
        """Smallest top-ups (interest, then principal) making the covered items whole, by bisection."""
        idx = [k for k, tr in enumerate(self.tr) if tr.id in s.covers]

        def short_i(x):
            pf, pi, *_ = self.waterfall(t, ai + x, ap, fee_due, int_due, bal, paid_cum)
            return (sum(fee_due) - sum(pf) > 1e-9 or
                    any(int_due[k] - pi[k] > 1e-9 for k in idx if not self.tr[k].subordinated))

        def required(k):
            tr = self.tr[k]
            if t == self.T:
                return bal[k]
            if tr.subordinated or self.pass_through(tr):
                return 0.0
            return max(0.0, bal[k] - self.scheduled_balance(tr, t))

        def bisect(short):
            if not short(0.0):
                return 0.0
            hi = 1.0
            while short(hi):
                hi *= 2
            lo = 0.0
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if short(mid):
                    lo = mid
                else:
                    hi = mid
                if hi - lo < 1e-7:
                    break
            return hi

        xi = bisect(short_i)

        def short_p(x):
            _, _, pp, *_ = self.waterfall(t, ai + xi, ap + x, fee_due, int_due, bal, paid_cum)
            return any(required(k) - pp[k] > 1e-9 for k in idx)

        return xi, bisect(short_p)

    @staticmethod
    def outcome(tr, rows, T, ppy, k):
        due = sum(r["int_due"][k] for r in rows)
        got = sum(r["int"][k] + r["prin"][k] for r in rows)
        d = any(r["int"][k] < r["int_due"][k] - TOL for r in rows) or rows[-1]["bal"][k] > TOL
        loss = max(0.0, due + tr.balance - got) / tr.balance if tr.balance > 0 else 0.0
        paid = sum(r["prin"][k] for r in rows)
        wal = sum(r["prin"][k] * r["t"] / ppy for r in rows) / paid if paid > 0 else None
        return d, loss, wal
