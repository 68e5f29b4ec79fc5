"""Numba kernel of the standard normal CDF with no branch and no library call, so that a
loop over many arguments (a group's conditional PDs by period on one path) runs as vector
code; ``math.erfc`` is a call per argument that the compiler cannot vectorise.

The complementary error function follows the FDLIBM method (Sun Microsystems, 1993) with
its published minimax coefficients: a rational function of ``y**2`` below 0.84375, of
``y - 1`` below 1.25, and ``exp(-y**2 - 0.5625 + R(1/y**2) / S(1/y**2)) / y`` up to 28,
with ``y**2`` split so that its leading part is exact. Every range is computed and one is
selected; polynomials take fused multiply-adds, and the exponential is a range-reduced
Taylor polynomial (Estrin's scheme). Within 3 units in the last place of the exact value
and 8 of the C library's ``erfc`` (tests/test_normal_lanes.py); values below ``1e-300``
come out as 0.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

from engine._jit import njit


@intrinsic
def _bits(typingctx, x):
    """The 64 bits of a float64, as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 whose 64 bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def ieee_div(typingctx, a, b):
    """``a / b`` of two float64 as IEEE division (inf or NaN for a zero ``b``): numba's own
    ``/`` tests for zero and raises, a branch that keeps the loop from vector code."""
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` of float64 with one rounding (a fused multiply-add)."""
    if a != types.float64 or b != types.float64 or c != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01     # ln 2 to 32 bits: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_HIGH_WORD = np.int64(-4294967296)        # 0xFFFFFFFF00000000: clears the low 32 bits
_UNDERFLOW = -708.0                       # exp below this is subnormal: taken as 0


@njit(cache=True, inline="always")
def _exp(head, tail):
    """``e**(head + tail)`` for ``-708 <= head + tail <= 1`` (callers clamp), ``tail`` the
    small part: ``2**n e**r`` with ``r = (head - n ln2_hi) + (tail - n ln2_lo)``,
    ``|r| <= ln2 / 2`` (``head - n ln2_hi`` exact when ``head`` is an exact large part),
    ``e**r`` by its Taylor polynomial of degree 13 (truncation below ``1e-17``)."""
    n = math.floor((head + tail) * _LOG2E + 0.5)
    r = (head - n * _LN2_HI) + (tail - n * _LN2_LO)
    r2 = r * r
    r4 = r2 * r2
    # Estrin's scheme: four levels of fused steps instead of thirteen in a row
    lo = _fma(_fma(1.0 / 6.0, r, 0.5), r2, _fma(1.0, r, 1.0))
    lo = _fma(_fma(_fma(1.0 / 5040.0, r, 1.0 / 720.0), r2, _fma(1.0 / 120.0, r, 1.0 / 24.0)),
              r4, lo)
    hi = _fma(_fma(1.0 / 39916800.0, r, 1.0 / 3628800.0), r2,
              _fma(1.0 / 362880.0, r, 1.0 / 40320.0))
    hi = _fma(_fma(1.0 / 6227020800.0, r, 1.0 / 479001600.0), r4, hi)
    p = _fma(hi, r4 * r4, lo)
    return p * _from_bits((np.int64(n) + np.int64(1023)) << np.int64(52))


# FDLIBM's coefficients (s_erf.c), highest power first
_PP = (-2.37630166566501626084e-05, -5.77027029648944159157e-03, -2.84817495755985104766e-02,
       -3.25042107247001499370e-01, 1.28379167095512558561e-01)
_QQ = (-3.96022827877536812320e-06, 1.32494738004321644526e-04, 5.08130628187576562776e-03,
       6.50222499887672944485e-02, 3.97917223959155352819e-01, 1.0)
_PA = (-2.16637559486879084300e-03, 3.54783043256182359371e-02, -1.10894694282396677476e-01,
       3.18346619901161753674e-01, -3.72207876035701323847e-01, 4.14856118683748331666e-01,
       -2.36211856075265944077e-03)
_QA = (1.19844998467991074170e-02, 1.36370839120290507362e-02, 1.26171219808761642112e-01,
       7.18286544141962662868e-02, 5.40397917702171048937e-01, 1.06420880400844228286e-01, 1.0)
_RA = (-9.81432934416914548592e+00, -8.12874355063065934246e+01, -1.84605092906711035994e+02,
       -1.62396669462573470355e+02, -6.23753324503260060396e+01, -1.05586262253232909814e+01,
       -6.93858572707181764372e-01, -9.86494403484714822705e-03)
_SA = (-6.04244152148580987438e-02, 6.57024977031928170135e+00, 1.08635005541779435134e+02,
       4.29008140027567833386e+02, 6.45387271733267880336e+02, 4.34565877475229228821e+02,
       1.37657754143519042600e+02, 1.96512716674392571292e+01, 1.0)
_RB = (-4.83519191608651397019e+02, -1.02509513161107724954e+03, -6.37566443368389627722e+02,
       -1.60636384855821916062e+02, -1.77579549177547519889e+01, -7.99283237680523006574e-01,
       -9.86494292470009928597e-03)
_SB = (-2.24409524465858183362e+01, 4.74528541206955367215e+02, 2.55305040643316442583e+03,
       3.19985821950859553908e+03, 1.53672958608443695994e+03, 3.25792512996573918826e+02,
       3.03380607434824582924e+01, 1.0)


@njit(cache=True, inline="always")
def _horner(x, coefficients):
    """The polynomial of ``coefficients`` (highest power first) at ``x``, fused steps."""
    p = coefficients[0]
    for c in coefficients[1:]:
        p = _fma(p, x, c)
    return p


_ERX = 8.45062911510467529297e-01         # erf(1) rounded to single precision


@njit(cache=True, inline="always")
def erfc_lanes(y):
    """``erfc(y)`` for any ``y`` (infinite too, not NaN), with no branch: see the module."""
    ay = abs(y)
    # |y| < 0.84375: erf(y) = y + y P(y^2) / Q(y^2)
    y1 = min(max(y, -0.84375), 0.84375)
    z = y1 * y1
    p1, q1 = _horner(z, _PP), _horner(z, _QQ)
    # 0.84375 <= |y| < 1.25: erf(|y|) = erx + P(s) / Q(s), s = |y| - 1
    s = min(max(ay, 0.84375), 1.25) - 1.0
    p2, q2 = _horner(s, _PA), _horner(s, _QA)
    # 1.25 <= |y| < 28: exp(-y^2 - 0.5625 + R(w) / S(w)) / |y|, w = 1 / y^2, two sets of
    # coefficients split at 1 / 0.35; y^2 = c^2 - (c - y)(c + y) with c's square exact
    a = min(max(ay, 1.25), 28.0)
    w = ieee_div(1.0, a * a)
    lo = a < 2.857142857142857
    r3, s3 = _horner(w, _RA), _horner(w, _SA)
    r4, s4 = _horner(w, _RB), _horner(w, _SB)
    # one division for the rational function of whichever range y is in
    small, near = ay < 0.84375, ay < 1.25
    ratio = ieee_div(p1 if small else (p2 if near else (r3 if lo else r4)),
                     q1 if small else (q2 if near else (s3 if lo else s4)))
    if small:
        head_part = 1.0 - (y1 + y1 * ratio) if y1 < 0.25 else 0.5 - (y1 * ratio + (y1 - 0.5))
    else:
        head_part = (1.0 - _ERX) - ratio if y > 0.0 else 1.0 + (_ERX + ratio)
    c = _from_bits(_bits(a) & _HIGH_WORD)
    head = -c * c - 0.5625
    rest = (c - a) * (c + a) + ratio
    tail = ieee_div(_exp(max(head, _UNDERFLOW), rest), a)
    tail = 0.0 if head + rest < _UNDERFLOW else tail
    far = tail if y > 0.0 else 2.0 - tail
    far = far if ay < 28.0 else (0.0 if y > 0.0 else 2.0)
    return head_part if near else far


@njit(cache=True, inline="always")
def norm_cdf_lanes(x):
    """The standard normal CDF ``erfc(-x / sqrt 2) / 2`` (as ``norm_cdf``), with no branch."""
    return 0.5 * erfc_lanes(-x * 0.7071067811865476)
