"""Counter-based random numbers: a pure function of (seed, path, stream, index)."""
from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy import special, stats

from engine.default._kernels import ndtri, stream_key, uniform
from engine.default.draw_keys import index_step

from elementwise import elementwise

MASK = (1 << 64) - 1


def py_mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def py_uniform(seed, path, stream, index):
    gamma = 0x9E3779B97F4A7C15
    k = py_mix64((seed + gamma) & MASK)
    k = py_mix64(k ^ ((path * 0xD1B54A32D192ED03) & MASK))
    k = py_mix64(k ^ ((stream * 0x8CB92BA72F3D8DD7) & MASK))
    x = py_mix64((k + ((index + 1) * gamma)) & MASK)
    return ((x >> 11) + 0.5) / 2.0**53


@njit
def _uniforms(seed, path, stream, n):
    out = np.empty(n)
    key = stream_key(np.uint64(seed), np.uint64(path), np.uint64(stream))
    for i in range(n):
        out[i] = uniform(key, np.uint64(i))
    return out


_ndtri_many = elementwise(ndtri)


@pytest.mark.parametrize("seed,path,stream", [(0, 0, 1), (7, 123456789, 2), (2**63 - 1, 2**40, 3)])
def test_uniforms_equal_the_integer_reference(seed, path, stream):
    got = _uniforms(seed, path, stream, 50)
    want = [py_uniform(seed, path, stream, i) for i in range(50)]
    assert got.tolist() == want


def test_uniforms_are_uniform_and_streams_independent():
    u = np.concatenate([_uniforms(3, p, 2, 64) for p in range(2000)])
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    a = np.array([_uniforms(3, p, 1, 1)[0] for p in range(20000)])
    b = np.array([_uniforms(3, p, 2, 1)[0] for p in range(20000)])
    c = np.array([_uniforms(4, p, 1, 1)[0] for p in range(20000)])
    for x, y in [(a, b), (a, c), (a[:-1], a[1:])]:
        assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(len(x))


def test_normal_quantile_matches_scipy_to_machine_precision():
    p = np.concatenate([np.linspace(1e-300, 1e-10, 100), np.linspace(1e-10, 1 - 1e-10, 100_001),
                        1 - np.logspace(-16, -10, 50)])
    want = special.ndtri(p)
    got = _ndtri_many(p)
    assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) < 1e-14
    assert _ndtri_many(np.array([0.0, 1.0])).tolist() == [-np.inf, np.inf]


# -------------------------------------------------- defaulters of a group, by integer tests

def test_the_integer_threshold_is_the_uniforms_own_comparison():
    """``uniform <= p`` iff ``bits <= uniform_bits_below(p)``, at and around every kind of
    edge: exact uniforms, their neighbours, above 2^52 (where ``m + 1/2`` rounds), 0 and 1."""
    from engine.default._kernels import uniform_bits_below

    rng = np.random.default_rng(5)
    ms = np.concatenate([rng.integers(0, 2**53, 3000), rng.integers(0, 2**20, 3000),
                         [0, 1, 2**52 - 1, 2**52, 2**52 + 1, 2**53 - 2, 2**53 - 1]])
    for m in ms:
        u = (float(m) + 0.5) / 2.0**53          # the uniform of bits m (np.float64 rounding)
        for p in (u, np.nextafter(u, 0.0), np.nextafter(u, 1.0)):
            assert (u <= p) == (m <= uniform_bits_below(p)), (m, p)
    assert uniform_bits_below(0.0) == -1 and uniform_bits_below(float("nan")) == -1
    assert uniform_bits_below(1.0) == 2**53 - 1


@pytest.mark.parametrize("q", [0.0, 1e-6, 0.02, 0.0999, 0.11999, 0.12, 0.5, 1.0])
def test_group_defaulters_are_the_members_whose_uniform_is_at_most_q(q):
    """A group's defaulters are the members with ``uniform <= q``, in order, for groups at
    any offset and of any length (whole words, a ragged last word, a single member), at
    any sampling PD."""
    from engine.default._kernels import group_defaulters

    members = np.random.default_rng(2).permutation(300).astype(np.int64)
    found = np.zeros(301, dtype=np.int64)            # one slack entry, as make_default_work
    for path in range(20):
        key = np.uint64(stream_key(np.uint64(9), np.uint64(path), np.uint64(2)))
        for first, end in ((0, 300), (7, 71), (64, 128), (5, 6), (299, 300), (10, 10),
                           (0, 260)):
            us = np.array([py_uniform(9, path, 2, int(j)) for j in members[first:end]])
            want = first + np.flatnonzero(us <= q)
            found[:] = -1
            n = group_defaulters(key, index_step(members), first, end, q, found)
            np.testing.assert_array_equal(found[:n], want)


def test_a_word_of_64_tests_is_each_members_test():
    """The 64-lane word (``_word_below``) sets bit ``b`` exactly when member ``start + b``'s
    uniform bits are at most the bound, at any offset and bound (none, all, the edges)."""
    from numba.core.errors import TypingError

    from engine.default._kernels import _word_below, uniform_bits_at

    @njit
    def word(key, steps, start, bound):
        return _word_below(key, steps, start, bound)

    @njit
    def one_by_one(key, steps, start, bound):
        bits = np.uint64(0)
        for b in range(64):
            bits |= np.uint64(uniform_bits_at(key, steps[start + b]) <= bound) << np.uint64(b)
        return bits

    rng = np.random.default_rng(4)
    steps = index_step(rng.permutation(500).astype(np.int64))
    for path in range(30):
        key = np.uint64(stream_key(np.uint64(3), np.uint64(path), np.uint64(2)))
        bits53 = np.array([uniform_bits_at(key, s) for s in steps[:64]], dtype=np.uint64)
        for bound in (0, 2**53 - 1, 2**40, 2**50, 2**52, int(np.median(bits53)),
                      int(bits53.min()), int(bits53.max()), int(bits53.max()) - 1):
            for start in (0, 1, 63, 436):
                got = word(key, steps, np.uint64(start), np.uint64(bound))
                assert got == one_by_one(key, steps, np.uint64(start), np.uint64(bound))
    with pytest.raises(TypingError):                 # strided steps would be misread
        word(key, steps[::2], np.uint64(0), np.uint64(0))
