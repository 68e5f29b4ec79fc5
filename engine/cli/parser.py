"""The ``ipabs`` command line's arguments: every command, its options and their checks."""
from __future__ import annotations

import argparse

from engine.limits import MAX_PATHS, MAX_PERIODS, MIN_PATHS


def _whole(low: int, high: int):
    """An argparse type: a whole number in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got "
                                             f"{value:,}")
        return value
    return parse


_paths = _whole(MIN_PATHS, MAX_PATHS)


_periods = _whole(0, MAX_PERIODS)


def _seed(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    from engine.scenario.models import SEED_LIMIT

    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**63), got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value}")
    return value


def _add_sim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paths", type=_paths, help="number of Monte Carlo paths "
                   "(default: the scenario's simulation.paths)")
    p.add_argument("--seed", type=_seed, help="random seed (default: simulation.seed)")
    p.add_argument("--json", metavar="FILE", help="write the result document to FILE")
    p.add_argument("--strict", action="store_true",
                   help="refuse a scenario with plausibility warnings (exit 2), for CI")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="where the paths run: here, or on a Dask cluster (same results)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786); default a local cluster")
    p.add_argument("--support", choices=("substitution", "joint_default", "standalone"),
                   help="support convention, replacing the scenario's rating.support: "
                        "substitution (the market's: the agencies' counterparty rule), "
                        "joint_default (supporters as correlated obligors) or standalone "
                        "(no credit support)")


def _add_state(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", metavar="STATE",
                   help="rate the deal from a trustee report (an ipabs-state/v1 file): the "
                        "dates after its as_of (a tracking rating, 跟踪评级)")


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=("en", "zh"),
                   help="language of the printed tables and the report: en or zh "
                        "(default: the scenario's report.language, else en)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipabs", description="Credit-risk engine for IP-ABS: simulate and rate tranches.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="simulate a scenario and print the tranche table")
    p.add_argument("scenario")
    _add_sim_options(p)
    p.add_argument("--out", metavar="DIR", help="write result.json, CSV tables, report.xlsx "
                                                "and report.html into DIR (with the reliance "
                                                "report)")
    p.add_argument("--reliance", action="store_true",
                   help="also rate every tranche without each credit support in turn "
                        "(one more simulation per support)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("cashflows", help="one deterministic run: the per-period cash flows")
    p.add_argument("scenario")
    p.add_argument("--default", action="append", default=[], metavar="OBLIGOR:PERIOD",
                   help="an obligor (borrower or provider) that defaults in PERIOD; repeatable")
    p.add_argument("--cdr", type=_fraction, default=0.0,
                   help="share of every asset's balance that defaults (0..1)")
    p.add_argument("--timing", default="uniform",
                   help="'uniform', 'front:x' (linear tilt, -1..1) or shares per period 'a,b,c'")
    p.add_argument("--recovery", type=_fraction, default=None,
                   help="recovery as a share of principal at default, replacing collateral")
    p.add_argument("--recovery-lag", type=_periods, default=0, metavar="PERIODS")
    p.add_argument("--csv", metavar="FILE", help="write the table as CSV (UTF-8 with BOM)")
    p.add_argument("--json", metavar="FILE", help="write the table and summary as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_state(p)
    p.add_argument("--state-at", type=_whole(1, MAX_PERIODS), metavar="K",
                   help="with --state-out: the deal's state after its payment date K in this "
                        "run (named --default only; with --state, K is after its as_of)")
    p.add_argument("--state-out", metavar="FILE",
                   help="write the ipabs-state/v1 state of --state-at to FILE")
    _add_lang(p)

    p = sub.add_parser("validate", help="check scenario files, print every problem")
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--strict", action="store_true",
                   help="treat plausibility warnings as errors (exit 2)")
    p.add_argument("--state", metavar="STATE",
                   help="also check a deal state (ipabs-state/v1) against each scenario")

    p = sub.add_parser("schema", help="print the scenario JSON Schema")
    p.add_argument("--state", action="store_true",
                   help="the deal state's (ipabs-state/v1) JSON Schema instead")

    p = sub.add_parser("template", help="write a blank deal to fill: deal.yaml (the deal-level "
                                        "terms) and deal.xlsx (obligors, assets, collateral: "
                                        "a headed sheet each, a note per column)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="the folder (created if it does not exist); an existing deal.yaml or "
                        "deal.xlsx in it is never replaced (exit 2)")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="zh: Chinese sheet names (借款人, 基础资产, 质押物), comments and "
                        "column notes, and report: {language: zh}")

    sub.add_parser("warmup", help="compile the simulation kernels now (a fresh install "
                                  "otherwise compiles them in its first run)")

    _design_commands(sub)
    _output_commands(sub)
    return parser


def _design_commands(sub) -> None:
    """Commands that compare designs and books: sensitivity, size, compare, sweep, book."""
    p = sub.add_parser("sensitivity", help="the base case beside each sensitivity, on the "
                                           "same random numbers")
    p.add_argument("scenario")
    _add_sim_options(p)
    p.add_argument("--change", action="append", default=[], metavar="KEY=VALUE",
                   help="a case instead of the file's sensitivities; repeatable. Keys: "
                        "pd_multiplier, correlation_shift, recovery_multiplier, haircut_shift, "
                        "lag_shift (numbers), rating_override=ID:NOTCH[,ID:NOTCH], "
                        "remove_support=ID[,ID]")
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("size", help="the largest balance of a tranche that earns a target")
    p.add_argument("scenario")
    p.add_argument("--tranche", required=True)
    p.add_argument("--target", required=True, help="an sf grade, e.g. AAAsf")
    _add_sim_options(p)
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("compare", help="several enhancement designs side by side in one table, "
                                       "on the same paths and seed, with each design's "
                                       "paired difference against the first")
    p.add_argument("scenarios", nargs="+")
    _add_sim_options(p)
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("sweep", help="a grid of designs (every combination of the values), "
                                     "on the same random numbers, with what each costs")
    p.add_argument("scenario")
    p.add_argument("--vary", action="append", default=[], required=True,
                   metavar="PATH=V1,V2,...",
                   help="a path as with_changes takes it (tranches.A.balance: the tranche "
                        "below takes the difference; obligors.GC.rating; "
                        "credit_support.LG.share; reserve.initial ...) and its values; "
                        "repeatable")
    _add_sim_options(p)
    p.add_argument("--out", metavar="DIR", help="write sweep.json, sweep.csv, sweep.xlsx and "
                                                "frontier.png into DIR")
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("book", help="a guarantor's book: its deals simulated together "
                                    "against one capital (ipabs-book/v1)")
    p.add_argument("book")
    p.add_argument("--paths", type=_paths, help="number of Monte Carlo paths "
                   "(default: the book's simulation.paths)")
    p.add_argument("--seed", type=_seed, help="random seed (default: the book's)")
    p.add_argument("--json", metavar="FILE", help="write the ipabs-book-result/v1 document")
    p.add_argument("--out", metavar="DIR", help="write book.json, book.html, the CSV tables, "
                                                "book.xlsx and claims.png into DIR")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="where the paths run: here, or on a Dask cluster (same results)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786); default a local cluster")
    p.add_argument("--no-alone", action="store_true",
                   help="skip rating each deal alone (its market and joint-default rating)")
    _add_lang(p)



def _output_commands(sub) -> None:
    """Goldens, reports and tracking: check, report, track."""
    p = sub.add_parser("check", help="every scenario of a folder against its golden result")
    p.add_argument("folder")
    _add_sim_options(p)
    p.add_argument("--update", action="store_true", help="rewrite the golden files")

    p = sub.add_parser("report", help="a self-contained HTML report, CSV tables and an Excel "
                                      "workbook in DIR")
    p.add_argument("scenario")
    p.add_argument("--out", required=True, metavar="DIR")
    _add_sim_options(p)
    _add_state(p)
    _add_lang(p)

    p = sub.add_parser("track", help="tracking ratings (跟踪评级): the rating at closing and at "
                                     "each trustee report, and what moved it")
    p.add_argument("scenario")
    p.add_argument("states", nargs="+", metavar="STATE", help="ipabs-state/v1 files")
    _add_sim_options(p)
    p.add_argument("--out", metavar="DIR", help="write track.json, track.csv, tracking.png "
                                                "and report.html into DIR")
    _add_lang(p)
