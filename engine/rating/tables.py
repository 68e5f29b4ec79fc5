"""Ideal cumulative default rate tables and their interpolation.

A :class:`DefaultTable` maps an obligor rating and a tenor in years to an *ideal
cumulative default rate* (理想累计违约率). The same table serves two jobs
(see docs/domain.md): a borrower's or support provider's rating becomes its
cumulative default probability curve, and a tranche's simulated default
probability becomes an ``sf`` grade (:mod:`engine.rating.methods`).

Tables hold only some notches and tenors; everything else is interpolated:

* **across notches** -- log-linear in the default rate on the notch index of
  :data:`~engine.rating.scale.OBLIGOR_NOTCHES` (``A-`` lies one third of the
  way from ``A`` to ``BBB`` in log PD). Notches worse than the worst table row
  (better than the best) are extrapolated log-linearly with the slope of the
  last (first) two rows, capped at ``1 - 1e-12``;
* **across tenors** -- log-linear in the default rate between table tenors;
  constant hazard below the first tenor, ``F(t) = 1 - (1 - F(t1))**(t / t1)``;
  beyond the last tenor a constant hazard equal to the forward hazard of the
  last table segment, ``S(t) = S(tn) * (S(tn) / S(tn-1))**((t - tn) / (tn - tn-1))``.

Two guards keep every curve non-decreasing in tenor *and* in notch for any
valid table. For the built-in domestic table they only touch ``CCC``, ``CC``
and ``C``, whose extrapolated rates hit the cap (their tail hazard would
otherwise be zero):

1. after the notch extrapolation each row is replaced by its running maximum
   over the table tenors (an extrapolated row can otherwise dip, because the
   log slopes differ by tenor);
2. the tail hazard used beyond the last tenor is the running maximum of the
   rows' forward hazards down the scale, so a worse notch never has a lower
   long-run hazard than a better one.

The built-in table is package data (``engine/rating/data``); the engine never
reads the design folder at run time.
"""
from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path

import numpy as np

from engine.errors import Problem, ScenarioError
from engine.inputs import Unreadable, path_inside, read_user_file
from engine.rating.scale import OBLIGOR_NOTCHES, notch_index, sf_to_notch

#: Largest cumulative default rate an interpolated or extrapolated curve takes.
PD_CAP: float = 1.0 - 1e-12

#: Header of a user table in long format.
USER_TABLE_COLUMNS: tuple[str, ...] = ("rating", "tenor", "cumulative_default_rate")

_DOMESTIC_RESOURCE = "domestic_ideal_default_rates.csv"
_PROBLEM_PATH = "rating.table"


@dataclass(frozen=True, eq=False)
class DefaultTable:
    """Ideal cumulative default rates by obligor notch and tenor.

    Parameters
    ----------
    notches : tuple of str
        The notches present in the source, a subset of
        :data:`~engine.rating.scale.OBLIGOR_NOTCHES`, best first (at least two).
    tenors : tuple of float
        Tenors in years, strictly increasing and positive.
    rates : numpy.ndarray
        Cumulative default rates, shape ``(len(notches), len(tenors))``, each in
        ``(0, 1]``, non-decreasing along tenors and down the notches. Stored as a
        read-only copy.
    source : str
        Where the numbers come from (printed in reports).

    Raises
    ------
    ValueError
        If the arrays are inconsistent; use :func:`load_table_csv` for user
        files, which reports problems as :class:`~engine.errors.ScenarioError`.
    """

    notches: tuple[str, ...]
    tenors: tuple[float, ...]
    rates: np.ndarray
    source: str
    _grid: np.ndarray = field(init=False, repr=False)
    _tail_hazard: np.ndarray = field(init=False, repr=False)
    _scalar: dict = field(init=False, repr=False)     # (notch, years) -> F, scalar calls

    def __post_init__(self) -> None:
        notches = tuple(self.notches)
        tenors = tuple(float(t) for t in self.tenors)
        rates = np.array(self.rates, dtype=np.float64)
        _check_table(notches, tenors, rates)
        rates.setflags(write=False)
        grid = _notch_grid(notches, rates)
        tail = _tail_hazards(np.asarray(tenors), grid)
        grid.setflags(write=False)
        tail.setflags(write=False)
        object.__setattr__(self, "notches", notches)
        object.__setattr__(self, "tenors", tenors)
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "_grid", grid)
        object.__setattr__(self, "_tail_hazard", tail)
        object.__setattr__(self, "_scalar", {})

    def cumulative_pd(self, rating: str, years: float | np.ndarray) -> float | np.ndarray:
        """Cumulative default probability of an obligor notch by a tenor.

        Parameters
        ----------
        rating : str
            A notch of :data:`~engine.rating.scale.OBLIGOR_NOTCHES` (``"BB+"``).
        years : float or array_like
            Tenor(s) in years, ``>= 0``.

        Returns
        -------
        float or numpy.ndarray
            ``F(years)``; a float for scalar input, else an array of the same
            shape. ``F(0) = 0``; table entries are reproduced exactly at table
            tenors; the result never exceeds :data:`PD_CAP` (a table rate of 1
            is used as :data:`PD_CAP`, so hazards stay finite).

        Raises
        ------
        ValueError
            Unknown rating, or a negative or non-finite tenor.
        """
        scalar = np.ndim(years) == 0
        if scalar:              # a rating looks up a few tenors many times: remembered
            key = (rating, float(years))
            known = self._scalar.get(key)      # one lookup: safe beside another thread's clear
            if known is not None:
                return known
        row = notch_index(rating)
        t = _as_years(years)
        out = _interpolate_tenor(
            t, np.asarray(self.tenors), self._grid[row], float(self._tail_hazard[row])
        )
        if scalar:
            if len(self._scalar) >= 4096:      # a long session of many tenors: start over
                self._scalar.clear()
            out = self._scalar[key] = float(out)
        return out

    def sf_threshold(self, grade: str, years: float | np.ndarray) -> float | np.ndarray:
        """Ideal cumulative default rate of an ``sf`` grade (``"AA+sf"``) by a tenor.

        Parameters
        ----------
        grade : str
            A grade of :data:`~engine.rating.scale.SF_SCALE`.
        years : float or array_like
            Tenor(s) in years, ``>= 0``.

        Returns
        -------
        float or numpy.ndarray
            The cumulative default rate of the grade's obligor notch.
        """
        return self.cumulative_pd(sf_to_notch(grade), years)


# --------------------------------------------------------------------------- loading


@functools.cache
def domestic_table() -> DefaultTable:
    """The built-in ideal default table of the domestic scale (docs/domain.md).

    Loaded once from the package data with :mod:`importlib.resources`.

    Returns
    -------
    DefaultTable
        Notches ``AAA+`` ... ``B`` (ten rows), tenors 1, 2, 3, 5 and 10 years;
        ``source`` repeats the CSV's header comment.
    """
    text = (
        resources.files("engine.rating")
        .joinpath("data", _DOMESTIC_RESOURCE)
        .read_text(encoding="utf-8")
    )
    return _parse_wide_csv(text)


def load_table_csv(path: str | PathLike[str]) -> DefaultTable:
    """Load a user table in long format and validate it.

    The file has the header ``rating,tenor,cumulative_default_rate`` and one row
    per rating and tenor; blank lines and lines starting with ``#`` are
    ignored. Ratings are obligor notches (``AA+``, not ``AA+sf``), tenors are
    years, rates are fractions (``0.0125`` for 1.25%).

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    DefaultTable
        With ``source`` naming the file.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with path ``rating.table`` and a
        message naming the file, the CSV line and what is allowed: unknown
        rating, tenor not a positive number, rate outside ``(0, 1]``,
        duplicated or missing (rating, tenor) cells, rates decreasing with
        tenor or improving towards worse ratings, fewer than two ratings.
        Missing cells and the two-rating minimum are checked only once every
        row parses (a bad row would otherwise be reported twice).
    """
    path = Path(path)
    try:
        text = read_user_file(path).decode("utf-8-sig")
    except Unreadable as exc:
        raise _table_error([f"{path}: cannot read the rating table ({exc})"], path) from None
    except UnicodeDecodeError as exc:
        raise _table_error([f"{path}: not UTF-8 text (byte {exc.start})"], path) from None
    cells, problems = _parse_long_rows(text, str(path))
    problems += _grid_problems(cells, str(path), complete=not problems)
    if problems:
        raise _table_error(problems, path)
    notches, tenors, rates = _cells_to_arrays(cells)
    return DefaultTable(notches, tenors, rates, source=f"user table {path}")


def resolve_table(spec: str | PathLike[str], base_dir: str | PathLike[str] | None = None) -> DefaultTable:
    """The table named by a scenario's ``rating.table``.

    Parameters
    ----------
    spec : str or path-like
        ``"domestic"`` for the built-in table, else the path of a user CSV
        (see :func:`load_table_csv`).
    base_dir : str or path-like, optional
        Directory that a relative path is taken from (the scenario file's); the table
        must lie inside it once symbolic links are resolved.

    Returns
    -------
    DefaultTable
    """
    if str(spec) == "domestic":
        return domestic_table()
    path = Path(spec)
    if base_dir is not None:            # inside the scenario's folder, links resolved
        try:
            path = path_inside(str(spec), base_dir, "rating.table")
        except Unreadable as exc:
            raise _table_error([str(exc)], path) from None
    return load_table_csv(path)


def _table_error(messages: list[str], path: Path) -> ScenarioError:
    """A :class:`ScenarioError` with one ``rating.table`` problem per message."""
    return ScenarioError([Problem(_PROBLEM_PATH, m) for m in messages], source=str(path))


def _parse_wide_csv(text: str) -> DefaultTable:
    """Parse the package's wide table: ``# comments``, then ``rating,<tenor>,...``."""
    comments = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.reader(body))
    tenors = tuple(float(t) for t in rows[0][1:])
    notches = tuple(r[0].strip() for r in rows[1:])
    rates = np.array([[float(x) for x in r[1:]] for r in rows[1:]], dtype=np.float64)
    source = "built-in domestic table: " + " ".join(comments)
    return DefaultTable(notches, tenors, rates, source=source)


_Cell = tuple[float, int]  # (rate, CSV line)


def _parse_long_rows(text: str, name: str) -> tuple[dict[str, dict[float, _Cell]], list[str]]:
    """Read the long-format rows into ``{rating: {tenor: (rate, line)}}`` and problems."""
    cells: dict[str, dict[float, _Cell]] = {}
    problems: list[str] = []
    header_seen = False
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in row]
        if not header_seen:
            header_seen = True
            if tuple(f.lower() for f in fields) != USER_TABLE_COLUMNS:
                problems.append(
                    f"{name} line {line_no}: header is {','.join(fields)!r}; "
                    f"expected {','.join(USER_TABLE_COLUMNS)!r}"
                )
                return cells, problems
            continue
        parsed = _parse_long_row(fields, f"{name} line {line_no}")
        if isinstance(parsed, str):
            problems.append(parsed)
            continue
        rating, tenor, rate = parsed
        previous = cells.setdefault(rating, {}).get(tenor)
        if previous is not None:
            problems.append(
                f"{name} line {line_no}: duplicate row for rating {rating} tenor {tenor:g} "
                f"(first on line {previous[1]}); give each rating and tenor once"
            )
            continue
        cells[rating][tenor] = (rate, line_no)
    if not header_seen:
        problems.append(f"{name}: empty file; expected the header {','.join(USER_TABLE_COLUMNS)}")
    elif not cells and not problems:
        problems.append(f"{name}: no data rows after the header")
    return cells, problems


def _parse_long_row(fields: list[str], where: str) -> tuple[str, float, float] | str:
    """One data row as ``(rating, tenor, rate)``, or a message saying what is wrong."""
    if len(fields) != 3:
        return f"{where}: {len(fields)} fields; expected 3 ({','.join(USER_TABLE_COLUMNS)})"
    rating, tenor_text, rate_text = fields
    if rating not in OBLIGOR_NOTCHES:
        return (
            f"{where}: unknown rating {rating!r}; allowed obligor notches: "
            f"{', '.join(OBLIGOR_NOTCHES)}"
        )
    tenor = _to_float(tenor_text)
    if tenor is None or not math.isfinite(tenor) or tenor <= 0:
        return f"{where}: tenor {tenor_text!r} is not allowed; use a number of years > 0"
    rate = _to_float(rate_text)
    if rate is None or not (0.0 < rate <= 1.0):
        return (
            f"{where}: cumulative_default_rate {rate_text!r} is not allowed; use a fraction "
            "in (0, 1], e.g. 0.0125 for 1.25%"
        )
    return rating, tenor, rate


def _to_float(text: str) -> float | None:
    """``float(text)`` or ``None`` when the text is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def _grid_problems(cells: dict[str, dict[float, _Cell]], name: str, complete: bool) -> list[str]:
    """Monotonicity problems of parsed cells, and full-grid ones when every row parsed.

    A row that failed to parse would otherwise show up again as a missing cell.
    """
    ratings = sorted(cells, key=notch_index)
    all_tenors = sorted({t for row in cells.values() for t in row})
    problems = _missing_cell_problems(cells, ratings, all_tenors, name) if complete else []
    problems += _tenor_order_problems(cells, ratings, name)
    problems += _notch_order_problems(cells, ratings, all_tenors, name)
    return problems


def _missing_cell_problems(
    cells: dict[str, dict[float, _Cell]], ratings: list[str], tenors: list[float], name: str
) -> list[str]:
    """Fewer than two ratings, or a rating without a row for some tenor."""
    problems = []
    if len(ratings) < 2:
        problems.append(
            f"{name}: only {len(ratings)} rating(s); give at least two so other notches "
            "can be interpolated"
        )
    for rating in ratings:
        missing = [t for t in tenors if t not in cells[rating]]
        if missing:
            lines = sorted(line for _, line in cells[rating].values())
            problems.append(
                f"{name} lines {lines[0]}-{lines[-1]}: rating {rating} has no row for tenor(s) "
                f"{', '.join(f'{t:g}' for t in missing)}; every rating needs every tenor "
                f"({', '.join(f'{t:g}' for t in tenors)})"
            )
    return problems


def _tenor_order_problems(
    cells: dict[str, dict[float, _Cell]], ratings: list[str], name: str
) -> list[str]:
    """Rates that fall as the tenor grows (cumulative rates cannot)."""
    problems = []
    for rating in ratings:
        row = sorted(cells[rating].items())
        for (t0, (r0, l0)), (t1, (r1, l1)) in zip(row, row[1:]):
            if r1 < r0:
                problems.append(
                    f"{name} line {l1}: rating {rating} rate {r1:g} at tenor {t1:g} is below "
                    f"{r0:g} at tenor {t0:g} (line {l0}); cumulative rates must not decrease "
                    "with tenor"
                )
    return problems


def _notch_order_problems(
    cells: dict[str, dict[float, _Cell]], ratings: list[str], tenors: list[float], name: str
) -> list[str]:
    """Rates that improve towards worse ratings at one tenor."""
    problems = []
    for tenor in tenors:
        column = [(r, cells[r][tenor]) for r in ratings if tenor in cells[r]]
        for (g0, (r0, l0)), (g1, (r1, l1)) in zip(column, column[1:]):
            if r1 < r0:
                problems.append(
                    f"{name} line {l1}: rating {g1} rate {r1:g} at tenor {tenor:g} is below "
                    f"{r0:g} of the better rating {g0} (line {l0}); rates must not decrease "
                    "towards worse ratings"
                )
    return problems


def _cells_to_arrays(
    cells: dict[str, dict[float, _Cell]]
) -> tuple[tuple[str, ...], tuple[float, ...], np.ndarray]:
    """Validated cells as (notches best first, sorted tenors, rate matrix)."""
    notches = tuple(sorted(cells, key=notch_index))
    tenors = tuple(sorted(cells[notches[0]]))
    rates = np.array([[cells[n][t][0] for t in tenors] for n in notches], dtype=np.float64)
    return notches, tenors, rates


# --------------------------------------------------------------------------- maths


def _check_table(notches: tuple[str, ...], tenors: tuple[float, ...], rates: np.ndarray) -> None:
    """Raise ``ValueError`` unless the table arrays are consistent and monotone."""
    idx = [notch_index(n) for n in notches]
    if len(idx) < 2 or any(b <= a for a, b in zip(idx, idx[1:])):
        raise ValueError(f"notches must be at least two distinct notches, best first; got {notches}")
    t = np.asarray(tenors)
    if t.size < 1 or not np.all(np.isfinite(t)) or t[0] <= 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"tenors must be positive and strictly increasing; got {tenors}")
    if rates.shape != (len(notches), len(tenors)):
        raise ValueError(f"rates has shape {rates.shape}; expected {(len(notches), len(tenors))}")
    if not np.all((rates > 0) & (rates <= 1)):
        raise ValueError("rates must lie in (0, 1]")
    if np.any(np.diff(rates, axis=1) < 0) or np.any(np.diff(rates, axis=0) < 0):
        raise ValueError("rates must be non-decreasing in tenor and towards worse notches")


def _notch_grid(notches: tuple[str, ...], rates: np.ndarray) -> np.ndarray:
    """Rates at the table tenors for every notch of ``OBLIGOR_NOTCHES``.

    Table rows are kept exactly (capped at :data:`PD_CAP`); other rows are
    log-linear in the notch index. Rows are then made non-decreasing in tenor
    by a running maximum.
    """
    known = np.array([notch_index(n) for n in notches])
    capped = np.minimum(rates, PD_CAP)
    logs = np.log(capped)
    grid = np.empty((len(OBLIGOR_NOTCHES), rates.shape[1]))
    for k in range(len(OBLIGOR_NOTCHES)):
        grid[k] = _notch_row(k, known, capped, logs)
    grid = np.minimum(grid, PD_CAP, out=grid)
    return np.maximum.accumulate(grid, axis=1)


def _notch_row(k: int, known: np.ndarray, rates: np.ndarray, logs: np.ndarray) -> np.ndarray:
    """Row ``k`` of the notch grid from the table rows at notch indices ``known``."""
    hit = np.flatnonzero(known == k)
    if hit.size:
        return rates[hit[0]].copy()
    if k > known[-1]:  # worse than the worst row
        lo, hi = len(known) - 2, len(known) - 1
        slope = (logs[hi] - logs[lo]) / (known[hi] - known[lo])
        return rates[hi] * np.exp((k - known[hi]) * slope)
    if k < known[0]:  # better than the best row
        slope = (logs[1] - logs[0]) / (known[1] - known[0])
        return rates[0] * np.exp(-(known[0] - k) * slope)
    hi = int(np.searchsorted(known, k))
    lo = hi - 1
    w = (k - known[lo]) / (known[hi] - known[lo])
    row = rates[lo] * np.exp(w * (logs[hi] - logs[lo]))
    return np.clip(row, rates[lo], rates[hi])


def _tail_hazards(tenors: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Constant hazard beyond the last tenor for each notch row of ``grid``.

    The forward hazard of the last table segment (from time 0 with ``S = 1``
    when the table has one tenor), made non-decreasing down the scale.
    """
    log_s = np.log1p(-grid)
    if tenors.size == 1:
        hazard = -log_s[:, -1] / tenors[-1]
    else:
        hazard = (log_s[:, -2] - log_s[:, -1]) / (tenors[-1] - tenors[-2])
    return np.maximum.accumulate(np.maximum(hazard, 0.0))


def _as_years(years: float | np.ndarray) -> np.ndarray:
    """Tenors as a float64 array, rejecting negative or non-finite values."""
    t = np.asarray(years, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"tenor in years must be finite and >= 0; got {years!r}")
    return t


def _interpolate_tenor(t: np.ndarray, tenors: np.ndarray, row: np.ndarray, hazard: float) -> np.ndarray:
    """Cumulative default rate of one notch row at tenors ``t`` (see module docstring)."""
    out = np.empty(t.shape, dtype=np.float64)
    below = t < tenors[0]
    above = t > tenors[-1]
    inside = ~(below | above)
    out[below] = np.minimum(-np.expm1(t[below] / tenors[0] * np.log1p(-row[0])), row[0])
    out[above] = _extrapolate_above(t[above], tenors[-1], row[-1], hazard)
    out[inside] = _log_linear(t[inside], tenors, row)
    return out


def _extrapolate_above(t: np.ndarray, t_last: float, f_last: float, hazard: float) -> np.ndarray:
    """Constant hazard beyond the last tenor: ``S(t) = S(tn) exp(-h (t - tn))``."""
    f = -np.expm1(np.log1p(-f_last) - hazard * (t - t_last))
    return np.clip(f, f_last, PD_CAP)


def _log_linear(t: np.ndarray, tenors: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Log-linear interpolation of ``row`` between table tenors (exact at the nodes)."""
    if tenors.size == 1:
        return np.full(t.shape, row[0])
    j = np.clip(np.searchsorted(tenors, t, side="right") - 1, 0, tenors.size - 2)
    w = (t - tenors[j]) / (tenors[j + 1] - tenors[j])
    lo, hi = row[j], row[j + 1]
    f = np.clip(lo * np.exp(w * np.log(hi / lo)), lo, hi)
    return np.where(w >= 1.0, hi, f)


#: Loss given default behind the built-in expected-loss table (an assumption of this engine).
DOMESTIC_EL_LGD = 0.45


@functools.lru_cache(maxsize=1)
def domestic_el_table() -> DefaultTable:
    """Expected-loss thresholds for the ``expected_loss`` method: the domestic ideal default
    rates times a loss given default of :data:`DOMESTIC_EL_LGD`.

    No Chinese agency publishes an idealised expected-loss table; this derived one is the
    engine's assumption, named as such in ``source``. Give a CSV (``rating.table``) to use
    another.
    """
    base = domestic_table()
    return DefaultTable(base.notches, base.tenors, np.asarray(base.rates) * DOMESTIC_EL_LGD,
                        source=f"derived: {base.source.splitlines()[0]} x LGD {DOMESTIC_EL_LGD}")
