"""numba's IR inliner with one copy of a callee's scope per inlining (``engine._jit``,
issue #29): the copies stay independent, and inlined kernels compute what Python does."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numba.core import inline_closurecall, ir
from numba.core.compiler import run_frontend

from engine._jit import _OneScopeCopy, njit
from engine.waterfall._program_kernels import _named

ROOT = Path(__file__).resolve().parents[1]


def _branchy(x, out):
    total = 0.0
    for k in range(out.shape[0]):
        if x[k] > 0.5:
            out[k] = x[k] * 2.0
        else:
            out[k] = -x[k]
        total += out[k]
    return total


def test_the_inliner_uses_one_scope_copy():
    assert isinstance(inline_closurecall.copy, _OneScopeCopy)


def test_blocks_of_one_copy_share_one_new_scope_and_copies_are_independent():
    func_ir = run_frontend(_branchy)
    shim = _OneScopeCopy()
    blocks = list(func_ir.blocks.values())
    assert len(blocks) > 3
    first = [shim.deepcopy(b) for b in blocks]
    again = [shim.deepcopy(b) for b in blocks]      # the same callee at its next call site
    for copies in (first, again):
        scopes = {id(b.scope) for b in copies}
        assert len(scopes) == 1 and id(blocks[0].scope) not in scopes
    assert first[0].scope is not again[0].scope
    for a, b in zip(first, again):
        assert a is not b and a.body[0] is not b.body[0]
    assert all(isinstance(b, ir.Block) for b in first)
    # other objects are copied as copy.deepcopy would
    assert shim.deepcopy([1, [2]]) == [1, [2]]


@njit(inline="always")
def _scaled_sum(x, scale, out):
    total = 0.0
    for k in range(x.shape[0]):
        v = x[k] * scale
        if v > 1.0:
            v = 1.0 + np.log(v)
        out[k] = v
        total += v
    return total


@njit
def _two_sites(x, out_a, out_b):
    a = _scaled_sum(x, 2.0, out_a)
    b = _scaled_sum(out_a, 0.5, out_b)   # the same callee inlined again, fed by the first
    return a, b


def test_a_callee_inlined_twice_computes_what_python_does():
    x = np.random.default_rng(7).uniform(0.0, 3.0, 50)
    got_a, got_b = np.empty(50), np.empty(50)
    want_a, want_b = np.empty(50), np.empty(50)
    got = _two_sites(x, got_a, got_b)
    want = (_scaled_sum.py_func(x, 2.0, want_a), _scaled_sum.py_func(want_a, 0.5, want_b))
    assert got == want
    np.testing.assert_array_equal(got_a, want_a)
    np.testing.assert_array_equal(got_b, want_b)


_PROBE = '''
def probe_callee(x, out):
    total = 0.0
    for k in range(out.shape[0]):
        out[k] = math.sin(x[k]) * 3.0 + math.exp(-x[k]) + k
    for k in range(out.shape[0]):
        for j in range(k):
            total += out[j] * math.cos(out[k] - j)
    return total


def probe_caller(x, out):
    total = 0.0
    for r in range(3):
        x[0] = r
        total += probe_callee(x, out)
    return total
'''


def _probe_pair(tag):
    """A kernel calling another (not inlined by numba), both compiled as engine code."""
    ns = {"__name__": f"engine.probe_{tag}"}
    exec(compile("import math\n" + _PROBE, f"<probe {tag}>", "exec"), ns)
    py_caller = ns["probe_caller"]
    ns["probe_callee"] = njit(ns["probe_callee"])
    return njit(py_caller), py_caller


def _caller_body(kernel):
    """The LLVM text of the caller's own function in its optimised module."""
    text = kernel.inspect_llvm(kernel.signatures[0])
    start = re.search(r"^define [^\n]*@\"?_ZN6engine\w+12probe_caller", text, re.M).start()
    return text[start:text.index("\n}", start)]


def test_a_callee_named_for_its_caller_is_built_into_the_callers_code(monkeypatch):
    from engine import _jit

    x, out = np.linspace(0.1, 2.0, 9), np.zeros(9)
    monkeypatch.setitem(_jit.INLINE_INTO, "probe_caller", ("probe_callee",))
    inlined, py_inlined = _probe_pair("inlined")
    got_inlined = inlined(x.copy(), out.copy())            # compiled here
    monkeypatch.delitem(_jit.INLINE_INTO, "probe_caller")
    called, _ = _probe_pair("called")
    expected = py_inlined(x.copy(), out.copy())
    assert got_inlined == expected                         # same bits as Python
    assert called(x.copy(), out.copy()) == expected
    assert "probe_callee" not in _caller_body(inlined).replace("probe_caller", "")
    assert "12probe_callee" in _caller_body(called)            # LLVM alone keeps the call


def _overloads(kernel):
    """A kernel's compiled versions; those of its cache too when callers loaded from the
    cache (the install's build among them) never needed it in this process."""
    if not kernel.overloads:
        for key in kernel._cache._cache_file._load_index():
            kernel.compile(key[0])
    return list(kernel.overloads.values())


def test_the_payment_walker_is_one_kernel_built_into_both_callers():
    """``pay_walk`` is ``walk``'s code under its own name, so that LLVM inlines it at its two
    sites and leaves the searches' calls to ``walk`` alone."""
    import engine
    from engine import _jit
    from engine.waterfall import _program_kernels as P

    assert P.pay_walk.py_func.__code__.co_code == P.walk.py_func.__code__.co_code
    assert P.pay_walk.py_func.__qualname__ == "pay_walk"
    for caller in ("run_path_cash", "_commitment_need"):
        assert "pay_walk" in _jit.INLINE_INTO[caller]
        assert "walk" not in _jit.INLINE_INTO[caller]
    engine.run(engine.load_scenario(ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"),
               paths=64)
    (pay,) = [c.fndesc.mangled_name for c in _overloads(P.pay_walk)]
    (plain,) = [c.fndesc.mangled_name for c in _overloads(P.walk)]
    assert _jit._mangled_kernel(pay, "pay_walk") and not _jit._mangled_kernel(pay, "walk")
    assert _jit._mangled_kernel(plain, "walk") and not _jit._mangled_kernel(plain, "pay_walk")



def probe_lsr(x, out):
    """A kernel :data:`engine._jit.NO_LSR` names in the test below."""
    total = 0.0
    for k in range(out.shape[0]):
        out[k] = x[k] * 2.0 if x[k] > 0.5 else -x[k]
        total += out[k]
    return total


#: The same kernel under a name that list does not hold.
probe_plain = _named(probe_lsr, "probe_plain")


def test_loop_strength_reduction_is_off_only_while_a_named_kernel_compiles(monkeypatch):
    """``engine._jit.NO_LSR``: LLVM's ``-disable-lsr`` is set while the named kernel's machine
    code is generated and cleared after; another kernel compiles with the default; both
    compute what Python does."""
    from engine import _jit

    assert _jit.NO_LSR == ("cash_paths", "book_deal_paths")
    calls = []
    real = _jit.binding.set_option
    monkeypatch.setattr(_jit.binding, "set_option",
                        lambda name, opt: (calls.append(opt), real(name, opt))[1])
    monkeypatch.setattr(_jit, "NO_LSR", ("probe_lsr",))
    x, out = np.linspace(0.1, 2.0, 9), np.zeros(9)
    expected = probe_plain(x.copy(), out.copy())
    assert njit(probe_plain)(x.copy(), out.copy()) == expected
    assert calls == []
    assert njit(probe_lsr)(x.copy(), out.copy()) == expected
    assert calls == ["-disable-lsr=true", "-disable-lsr=false"]
