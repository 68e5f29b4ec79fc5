"""Bounds on what one run may ask for.

Past a bound an input is refused (exit status 2) with a message naming the bound, rather
than exhausting memory, overflowing an integer or hanging. Every bound is far above what a
real IP-ABS deal needs; the reason for each is beside it.
"""
from __future__ import annotations

#: Largest file ipabs reads (scenario, ``assets_file``, rating table, golden result).
MAX_INPUT_BYTES = 64 * 2**20
#: Most values (scalars, lists, mappings, aliases) in one YAML document, and its deepest
#: nesting: counted while the text is parsed, before anything is built, so a huge list or a
#: deep nest is refused in about a second. A scenario with a few hundred assets written out
#: has some 10,000 values and 6 levels; a larger pool belongs in an ``assets_file``.
MAX_YAML_NODES = 500_000
MAX_YAML_DEPTH = 100
#: Longest horizon and lag, in payment periods (100 years of monthly dates).
MAX_PERIODS = 1_200
#: Largest money amount (balances, appraised values, caps, fees): 10^15 keeps sums of a
#: pool and their squares (standard errors) exact enough and finite.
MAX_AMOUNT = 1e15
#: Largest multiplier of a stress or sensitivity (``pd_multiplier``, ``recovery_multiplier``):
#: agencies stress by 1.5 to 5; 1,000 turns any PD above 0.1% into a certain default.
MAX_MULTIPLIER = 1_000.0
#: Largest ``dof`` of a student_t copula: above a few dozen it is the Gaussian one.
MAX_DOF = 1_000.0
#: Most borrowers the report's stressed run (``report.stress.largest_borrowers``) defaults.
MAX_STRESSED_BORROWERS = 10_000
#: Coupons, asset rates and fee rates above this (100% a year) are refused unless the
#: scenario says ``allow_high_rates: true``; even then they stay below the second bound.
MAX_ANNUAL_RATE = 1.0
MAX_ANNUAL_RATE_ALLOWED = 100.0
#: Most obligors for ``pairwise`` correlation (its matrix is obligors^2 numbers, 200 MB here).
MAX_PAIRWISE_OBLIGORS = 5_000
#: Most cells of a per-period grid (obligors x periods or assets x periods, 8 bytes each).
MAX_GRID_CELLS = 20_000_000
#: Monte Carlo paths of one run: at least two (a standard error needs two), at most 10^9.
MIN_PATHS = 2
MAX_PATHS = 10**9
#: Per-path outcomes kept for paired sensitivities (bytes per run).
MAX_RECORD_BYTES = 2 * 2**30
#: A haircut ``sd`` below this is a fixed haircut at its mean: the Beta distribution is then
#: narrower than 0.04 percentage points and numerically unstable to invert.
MIN_HAIRCUT_SD = 1e-4
#: Seconds a Dask scheduler has to answer the connection handshake.
SCHEDULER_TIMEOUT_S = 10.0
#: Most data rows of one tape (a CSV file or one workbook sheet: obligors, assets or
#: collateral); an IP-ABS pool has tens to hundreds of loans.
MAX_TAPE_ROWS = 100_000
#: Most columns of a tape sheet (its declared used range included); a tape has at most 13.
MAX_TAPE_COLUMNS = 256
#: An Excel workbook is a zip file: its parts are counted and their uncompressed sizes added
#: up before anything is parsed, so a small file that inflates to gigabytes (or a sheet whose
#: one cell sits at XFD1048576) is refused at once, in little memory.
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_UNCOMPRESSED_BYTES = 64 * 2**20
