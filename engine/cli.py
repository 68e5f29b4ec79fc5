"""The ``ipabs`` command line (also ``python -m engine``).

Exit status: 0 success; 2 bad input (usage, unreadable or invalid scenario, a refused
output path), message on stderr, no traceback; 1 internal error. Nothing is written when
input is invalid; outputs are checked before any work and committed together at the end
(:mod:`engine.report.files`). Text printed to the terminal has control characters
neutralised; a reader that stops reading (``ipabs run ... | head``) is not an error: printing
stops quietly and the exit status is the command's own.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path

from engine.errors import InputError, Problem, ScenarioError
from engine.limits import MAX_PATHS, MAX_PERIODS, MIN_PATHS
from engine.report.safe_text import terminal_safe

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that half-written output is cleaned up."""


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise Terminated()


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

    sub.add_parser("warmup", help="compile the simulation kernels now (a fresh install "
                                  "otherwise compiles them in its first run)")

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
    return parser


def threading_main() -> bool:
    """Signal handlers can only be installed from the main thread."""
    import threading

    return threading.current_thread() is threading.main_thread()


def kernels_cached() -> bool:
    """Has numba compiled (and cached) the fused kernel on this install yet?"""
    from engine.warmup import kernels_cached as cached

    return cached()


def _compile_heartbeat(stream, every: float = 10.0):
    """Print how long compiling has taken every ``every`` seconds until the returned
    ``stop`` is called (the first progress report calls it)."""
    import threading

    stopped = threading.Event()
    started = time.perf_counter()

    def beat() -> None:
        while not stopped.wait(every):
            print(f"  still compiling, {time.perf_counter() - started:.0f} s", file=stream,
                  flush=True)

    threading.Thread(target=beat, daemon=True).start()
    return stopped.set


def _progress_printer(quiet: bool):
    if quiet:
        return None, lambda: None
    stop_beat = lambda: None  # noqa: E731
    if not kernels_cached():
        print("compiling the simulation kernels (first run after installing only: one to "
              "three minutes on two cores, longer on a busy machine; later runs start at "
              "once; `ipabs warmup` does it ahead)...", file=sys.stderr, flush=True)
        stop_beat = _compile_heartbeat(sys.stderr)
    started = time.perf_counter()
    state = {"shown": False, "last": 0.0}
    tty = sys.stderr.isatty()
    stream = getattr(sys.stderr, "raw", sys.stderr)     # our own "\r", not neutralised

    def show(done: int, total: int) -> None:
        stop_beat()
        now = time.perf_counter() - started
        if now < 1.0 or (not tty and now - state["last"] < 5.0 and done < total):
            return
        state["shown"], state["last"] = True, now
        bar = "#" * int(30 * done / total)
        # a rating is several runs on the same paths (the deal, standalone, the support
        # ladder): the bar counts all of them, so it says so rather than "paths"
        msg = f"  [{bar:<30}] {100.0 * done / total:3.0f}% of the runs, {now:.1f} s"
        print(("\r" + msg) if tty else msg, end="" if tty else "\n", file=stream, flush=True)

    def finish() -> None:
        stop_beat()
        if state["shown"] and tty:
            print(file=stream)

    return show, finish


def _outputs(args, *loaded):
    """The :class:`~engine.report.files.Outputs` of this command, knowing its inputs
    (``(path, scenario)`` pairs: each scenario file and the files it named)."""
    from engine.report.files import Outputs
    from engine.scenario import scenario_files

    states = list(getattr(args, "input_states", [])) + ([args.state] if getattr(args, "state", None)
                                                        else [])
    args.outputs = Outputs([p for path, sc in loaded for p in (path, *scenario_files(sc))]
                           + states + [p for s in states for p in _state_tapes(s)])
    return args.outputs


def _state_tapes(path) -> list:
    """The tape a state file names (its ``assets_file``): an input no output may be."""
    from engine.scenario.state import load_state

    try:
        state = load_state(path)
    except (ScenarioError, OSError):
        return []                     # refused later, with its own message
    if state.assets_file is None:
        return []
    return [Path(path).parent / state.assets_file]


def _finite(doc: dict) -> dict:
    from engine.result import require_finite

    require_finite(doc)
    return doc


def _cmd_run(args) -> int:
    from engine.report.files import result_json
    from engine.report.table import ladder_text, reliance_text, tranche_table

    scenario = _load(args)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json)
        out = outs.add("--out", args.out, folder=True)
        outs.check()
        from engine.api import run

        show, finish = _progress_printer(args.quiet)
        try:
            result = run(scenario, paths=args.paths, seed=args.seed, progress=show,
                         backend=args.backend_obj,
                         reliance_report=bool(args.reliance or args.out))
        finally:
            finish()
        doc = _finite(result.to_dict())
        lang = _lang(args, scenario)
        if js:
            outs.stage_text(js, result_json(doc))
        if out:
            _stage_report_dir(outs, out, scenario, result, doc, None, lang)
        outs.commit()
    if args.quiet:      # otherwise they close the tranche table
        for message in (doc["diagnostics"].get("sampling_warnings") or []) + doc["warnings"]:
            print(f"ipabs: warning: {message}", file=sys.stderr)
    else:
        print(f"{scenario.name}")
        if scenario.state is not None:
            print(f"tracking rating from {args.state}: the state after {scenario.state.as_of} "
                  "payment dates; the dates after it simulated")
        print(tranche_table(doc, lang))
        ladder = ladder_text(doc, lang)
        if ladder:
            print()
            print(ladder)
        if result.reliance is not None:
            print()
            print(reliance_text(doc, lang))
    return EXIT_OK


def _lang(args, scenario) -> str:
    from engine.report.i18n import language

    return language(scenario, getattr(args, "lang", None))


def _strict(args, scenario) -> None:
    """``--strict``: a scenario's plausibility warnings refuse the run (exit 2)."""
    if getattr(args, "strict", False) and scenario.warnings:
        raise InputError("--strict: the scenario has warnings (above); fix them or drop "
                         "--strict")


def _load(args, path=None):
    """The scenario of ``args`` (or ``path``), with ``--support`` applied."""
    from engine.scenario import load_scenario
    from engine.scenario.edit import with_convention

    scenario = with_convention(load_scenario(args.scenario if path is None else path),
                               getattr(args, "support", None))
    _strict(args, scenario)
    if getattr(args, "state", None):
        from engine.api import load_state, with_state

        if not hasattr(args, "state_obj"):
            args.state_obj = load_state(args.state)
        scenario = with_state(scenario, args.state_obj)
    return scenario


def _cmd_cashflows(args) -> int:
    from engine.api import cashflows
    from engine.report.files import csv_text, result_json
    from engine.scenario import load_scenario

    scenario = _load(args) if args.state else load_scenario(args.scenario)
    if (args.state_at is None) != (args.state_out is None):
        raise InputError("--state-at K and --state-out FILE go together")
    with _outputs(args, (args.scenario, scenario)) as outs:
        csv_target = outs.add("--csv", args.csv)
        js = outs.add("--json", args.json)
        state_target = outs.add("--state-out", args.state_out, new=True)
        outs.check()
        defaults = {}
        for item in args.default:
            oid, _, period = item.rpartition(":")
            if not oid or not period.isdigit():
                raise InputError(f"--default {item!r}: expected OBLIGOR:PERIOD, e.g. B03:2")
            defaults[oid] = int(period)
        timing = args.timing
        if "," in timing:
            try:
                timing = [float(x) for x in timing.split(",")]
            except ValueError:
                raise InputError(f"--timing {args.timing!r}: shares must be numbers") from None
        try:
            report = cashflows(scenario, defaults=defaults, cdr=args.cdr, timing=timing,
                               recovery=args.recovery, recovery_lag=args.recovery_lag)
        except ScenarioError:
            raise
        except ValueError as exc:      # a timing curve that makes no sense
            raise InputError(str(exc)) from None
        doc = _finite(report.to_dict())
        if state_target:
            from engine.api import state_after
            from engine.scenario.state import state_yaml

            as_of = scenario.state.as_of if scenario.state else 0
            if not as_of < args.state_at < scenario.legal_final:
                raise InputError(f"--state-at {args.state_at}: a payment date after "
                                 f"{'the state' if as_of else 'closing'} ({as_of}) and before "
                                 f"legal final ({scenario.legal_final})")
            outs.stage_text(state_target, state_yaml(state_after(
                scenario, args.state_at - as_of, defaults=defaults)))
        if csv_target:
            from engine.report.sheets import cashflow_frame

            outs.stage_text(csv_target, csv_text(cashflow_frame(report.table),
                                                 lang=_lang(args, scenario)))
        if js:
            outs.stage_text(js, result_json(doc))
        outs.commit()
    if not args.quiet:
        from engine.report.table import cashflow_text

        print(scenario.name)
        print(cashflow_text(report, _lang(args, scenario)))
    return EXIT_OK


def _parse_change(text: str) -> tuple[str, dict]:
    from engine.analysis.changes import CHANGE_KEYS

    key, sep, value = text.partition("=")
    if not sep or key not in CHANGE_KEYS:
        raise InputError(f"--change {text!r}: expected KEY=VALUE with KEY one of "
                         f"{', '.join(CHANGE_KEYS)}")
    try:
        if key == "rating_override":
            parsed = dict(item.split(":", 1) for item in value.split(","))
        elif key == "remove_support":
            parsed = [x for x in value.split(",") if x]
        elif key == "lag_shift":
            parsed = int(value)
        else:
            parsed = float(value)
    except ValueError:
        raise InputError(f"--change {text!r}: cannot read {value!r} for {key}") from None
    if isinstance(parsed, float) and not math.isfinite(parsed):
        raise InputError(f"--change {text!r}: {key} must be a finite number")
    return text, {key: parsed}


def _cmd_sensitivity(args) -> int:
    from engine.analysis.sensitivity import sensitivity
    from engine.report.files import result_json
    from engine.report.table import sensitivity_text

    scenario = _load(args)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json)
        outs.check()
        cases = [_parse_change(c) for c in args.change] or None
        if cases:
            _validate_cases(scenario, cases)
        doc = _finite(sensitivity(scenario, cases, paths=args.paths, seed=args.seed,
                                  backend=args.backend_obj))
        if js:
            outs.stage_text(js, result_json(doc))
        outs.commit()
    print(scenario.name)
    print(sensitivity_text(doc, _lang(args, scenario)))
    return EXIT_OK


def _validate_cases(scenario, cases) -> None:
    """Command-line changes are checked like the file's `sensitivities` block."""
    from pydantic import ValidationError

    from engine.scenario import Scenario
    from engine.scenario.checks import check_scenario
    from engine.scenario.validation_errors import translate_validation_error

    def problem(loc, message: str) -> Problem:   # sensitivities.<i>... -> --change <text>
        return Problem(f"--change {cases[int(loc[1])][0]}" if len(loc) > 1 else "--change",
                       message)

    doc = scenario.model_dump(by_alias=True, exclude_none=True)
    doc["sensitivities"] = [{"name": name, **change} for name, change in cases]
    try:
        checked = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError([problem(p.loc, p.message) for p in translate_validation_error(exc)
                             if p.loc[:1] == ("sensitivities",)]
                            or [Problem("--change", "not a valid change")]) from None
    problems = [problem(p.path.split("."), p.message) for p in check_scenario(checked)
                if p.path.startswith("sensitivities")]
    if problems:
        raise ScenarioError(problems)


def _cmd_size(args) -> int:
    from engine.analysis.sizing import size_tranche
    from engine.report.files import result_json
    from engine.report.table import size_text

    scenario = _load(args)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json)
        outs.check()
        doc = _finite(size_tranche(scenario, args.tranche, args.target, paths=args.paths,
                                   seed=args.seed, backend=args.backend_obj))
        if js:
            outs.stage_text(js, result_json(doc))
        outs.commit()
    print(scenario.name)
    print(size_text(doc, _lang(args, scenario)))
    return EXIT_OK


def _parse_vary(texts: list[str]) -> dict:
    """``PATH=V1,V2,...`` options as ``{path: [values]}`` (each value read as YAML: numbers,
    grades, true/false)."""
    import yaml

    out: dict = {}
    for text in texts:
        path, sep, values = text.partition("=")
        path = path.strip()
        if not sep or not path or not values.strip():
            raise InputError(f"--vary {text!r}: write PATH=V1,V2,... "
                             "(e.g. tranches.A.balance=180e6,190e6)")
        if path in out:
            raise InputError(f"--vary {path}: given twice")
        parsed = []
        for v in values.split(","):
            try:
                x = yaml.safe_load(v.strip())
            except yaml.YAMLError:
                x = v.strip()
            if isinstance(x, str):
                try:
                    x = float(x) if any(c in x for c in "eE.") else x
                except ValueError:
                    pass
            if x is None or isinstance(x, (dict, list)):
                raise InputError(f"--vary {path}: {v.strip()!r} is not a single value")
            parsed.append(x)
        out[path] = parsed
    return out


def _cmd_sweep(args) -> int:
    from engine.analysis.sweep import sweep, sweep_frame
    from engine.report.files import result_json
    from engine.report.table import sweep_text

    scenario = _load(args)
    vary = _parse_vary(args.vary)
    lang = _lang(args, scenario)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json)
        out = outs.add("--out", args.out, folder=True)
        outs.check()
        doc = _finite(sweep(scenario, vary, paths=args.paths, seed=args.seed,
                            backend=args.backend_obj))
        if js:
            outs.stage_text(js, result_json(doc))
        if out:
            def fill(folder):
                from engine.report.plots import frontier_png
                from engine.report.sheets import write_csv, write_xlsx

                frame = sweep_frame(doc)
                (folder / "sweep.json").write_text(result_json(doc), encoding="utf-8")
                write_csv(frame, folder / "sweep.csv", lang=lang)
                write_xlsx({"sweep.csv": frame}, folder / "sweep.xlsx", lang)
                (folder / "frontier.png").write_bytes(frontier_png(doc, lang=lang))

            outs.stage_folder(out, fill)
        outs.commit()
    print(scenario.name)
    print(sweep_text(doc, lang))
    return EXIT_OK


def _cmd_compare(args) -> int:
    from engine.analysis.compare import compare
    from engine.report.files import result_json
    from engine.report.table import compare_text

    scenarios = [_load(args, p) for p in args.scenarios]
    with _outputs(args, *zip(args.scenarios, scenarios)) as outs:
        js = outs.add("--json", args.json)
        outs.check()
        doc = _finite(compare(scenarios, paths=args.paths, seed=args.seed,
                              backend=args.backend_obj))
        if js:
            outs.stage_text(js, result_json(doc))
        outs.commit()
    print(compare_text(doc, _lang(args, scenarios[0])))
    return EXIT_OK


def _cmd_check(args) -> int:
    from engine.analysis.regression import check_folder
    from engine.report.files import result_json

    folder = Path(args.folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    if not any(folder.glob("*.yaml")):
        raise InputError(f"no *.yaml scenarios in {folder}")
    with _outputs(args) as outs:
        js = outs.add("--json", args.json)
        outcomes = check_folder(folder, update=args.update, paths=args.paths, seed=args.seed,
                                backend=args.backend_obj, outputs=outs, support=args.support)
        if js:
            outs.stage_text(js, result_json({"format": "ipabs-check/v1", "scenarios": [
                {"scenario": o.scenario, "passed": o.passed, "differences": o.differences}
                for o in outcomes]}))
        outs.commit()
    print("compared per tranche: rating (by " + (f"--support {args.support}" if args.support
                                                 else "each scenario's rating.support")
          + "), rating_standalone, rating_substitution, rating_by, rating_joint_default, "
            "default probability, "
            "expected loss, WAL")
    for o in outcomes:
        status = "updated" if o.updated else ("ok" if o.passed else "CHANGED")
        print(f"{o.scenario}: {status}")
        for line in o.differences:
            print(f"  {line}")
    return EXIT_OK if all(o.passed for o in outcomes) else EXIT_INTERNAL


def _stage_report_dir(outs, target, scenario, result, doc, sens, lang: str = "en") -> None:
    """result.json, CSV tables, report.xlsx, the distribution plot and report.html, staged
    for ``target``."""
    from engine.api import cashflows
    from engine.plan import rating_table
    from engine.report.files import fill_result_folder
    from engine.report.html import build_report
    from engine.report.plots import plot_pool_default_rate
    from engine.report.sheets import (
        assumptions_frame,
        cashflow_frame,
        clean_frame,
        result_frames,
        sensitivity_frame,
        write_csv,
        write_xlsx,
    )
    from engine.report.summary import assumptions, stress_defaults

    flows = cashflows(scenario)
    stress = stress_defaults(scenario, lang)
    stressed = cashflows(scenario, defaults=stress[0]) if stress else None
    page = build_report(scenario, result, rating_table(scenario), flows, sens,
                        stressed=stressed, stress_label=stress[1] if stress else None,
                        lang=lang)
    frames = result_frames(doc)
    if sens is not None:
        frames["sensitivities.csv"] = sensitivity_frame(sens)
    from engine.report.strata import stratification

    frames["stratification.csv"] = clean_frame(stratification(scenario, lang))
    frames["cashflows.csv"] = cashflow_frame(flows.table)
    if stressed is not None:
        frames["cashflows_stressed.csv"] = cashflow_frame(stressed.table)
    frames["assumptions.csv"] = assumptions_frame(
        assumptions(scenario, doc, "en")
        + ([("stressed cash flows", stress_defaults(scenario, "en")[1])] if stress else []))

    def extra(folder):
        plot_pool_default_rate(result, folder / "pool_default_rate.png", rating_table(scenario),
                               lang)
        for name in ("sensitivities.csv", "stratification.csv", "cashflows.csv",
                     "cashflows_stressed.csv", "assumptions.csv"):
            if name in frames:
                write_csv(frames[name], folder / name, lang=lang)
        write_xlsx(frames, folder / "report.xlsx", lang)
        (folder / "report.html").write_text(page, encoding="utf-8")

    outs.stage_folder(target, lambda folder: fill_result_folder(folder, doc, extra, lang))


def _cmd_report(args) -> int:
    from engine.analysis.sensitivity import sensitivity
    from engine.api import run
    from engine.report.files import result_json

    scenario = _load(args)
    with _outputs(args, (args.scenario, scenario)) as outs:
        out = outs.add("--out", args.out, folder=True)
        js = outs.add("--json", args.json)
        outs.check()
        result = run(scenario, paths=args.paths, seed=args.seed, backend=args.backend_obj,
                     reliance_report=True)
        sens = (sensitivity(scenario, paths=args.paths, seed=args.seed, backend=args.backend_obj)
                if scenario.sensitivities else None)
        doc = _finite(result.to_dict())
        if sens is not None:
            _finite(sens)
        _stage_report_dir(outs, out, scenario, result, doc, sens, _lang(args, scenario))
        if js:
            outs.stage_text(js, result_json(doc))
        outs.commit()
    print(f"{scenario.name}: report written to {Path(args.out) / 'report.html'}")
    return EXIT_OK


def _cmd_track(args) -> int:
    from engine.analysis.tracking import track
    from engine.api import load_state
    from engine.report.files import result_json
    from engine.report.table import track_text

    scenario = _load(args)
    states = [load_state(p) for p in args.states]
    args.input_states = list(args.states)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json)
        out = outs.add("--out", args.out, folder=True)
        outs.check()
        from engine.api import with_state

        for s in states:                  # every state checked before the first simulation
            with_state(scenario, s)
        doc = _finite(track(scenario, states, paths=args.paths, seed=args.seed,
                            backend=args.backend_obj))
        lang = _lang(args, scenario)
        if js:
            outs.stage_text(js, result_json(doc))
        if out:
            from engine.report.html import track_report

            def fill(folder):
                from engine.report.plots import tracking_png
                from engine.report.sheets import track_frame, write_csv

                (folder / "track.json").write_text(result_json(doc), encoding="utf-8")
                write_csv(track_frame(doc), folder / "track.csv", lang=lang)
                (folder / "tracking.png").write_bytes(tracking_png(doc, lang))
                (folder / "report.html").write_text(track_report(doc, lang), encoding="utf-8")

            outs.stage_folder(out, fill)
        outs.commit()
    print(scenario.name)
    print(track_text(doc, lang))
    return EXIT_OK


def _cmd_validate(args) -> int:
    from engine.scenario import load_scenario

    status = EXIT_OK
    state = None
    if args.state:
        from engine.api import load_state

        try:
            state = load_state(args.state)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"{args.state}: {problem}", file=sys.stderr)
            return EXIT_INPUT
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
            if args.strict and scenario.warnings:
                print(f"{path}: --strict: {len(scenario.warnings)} warning(s) (above)",
                      file=sys.stderr)
                status = EXIT_INPUT
                continue
            if state is not None:
                from engine.api import with_state

                with_state(scenario, state)
            print(f"{path}: ok" + (f" (with {args.state})" if state is not None else ""))
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"{exc.source or path}: {problem}", file=sys.stderr)
            status = EXIT_INPUT
    return status


def _cmd_warmup(args) -> int:  # noqa: ARG001
    from engine.warmup import cache_folder, kernels_cached, warm_up

    was = kernels_cached()
    print("loading the compiled kernels..." if was else
          "compiling the simulation kernels (one to three minutes on two cores)...", flush=True)
    took = warm_up(lambda line: print(terminal_safe(line), flush=True))
    print(f"ready in {took:.1f} s; kernels cached in {terminal_safe(str(cache_folder()))}")
    return EXIT_OK


def _cmd_schema(args) -> int:
    from engine.scenario import scenario_json_schema

    if getattr(args, "state", False):
        from engine.scenario.state import DealState

        print(json.dumps(DealState.model_json_schema(), indent=2))
        return EXIT_OK
    print(json.dumps(scenario_json_schema(), indent=2))
    return EXIT_OK


class _Terminal:
    """``sys.stdout`` / ``sys.stderr`` while the CLI runs: control characters in what is
    printed (names, ids, paths) are neutralised, and a closed pipe (``| head``) ends the
    printing quietly instead of failing the command."""

    def __init__(self, raw):
        self.raw = raw
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                self.raw.write(terminal_safe(text))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self.raw.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.closed_pipe = True
        with contextlib.suppress(OSError, ValueError):   # later flushes go nowhere, quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.raw.fileno())
            os.close(devnull)

    def __getattr__(self, name):
        return getattr(self.raw, name)


@contextlib.contextmanager
def _terminal_streams():
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Terminal(sys.stdout), _Terminal(sys.stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def _interrupted(args) -> str:
    outs = getattr(args, "outputs", None)
    written = outs.written if outs is not None else []
    return f"interrupted; written: {', '.join(written)}" if written else \
        "interrupted; nothing was written"


def _show_scenario_warnings() -> None:
    """Print a scenario's warnings as ``ipabs: warning: ...`` lines on stderr."""
    import warnings

    from engine.errors import ScenarioWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ScenarioWarning):
            print(f"ipabs: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    import signal

    if threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    _show_scenario_warnings()
    with _terminal_streams():
        parser = build_parser()
        args = parser.parse_args(argv)   # usage errors exit 2 here
        return _dispatch(args)


def _dispatch(args) -> int:
    handler = {"run": _cmd_run, "validate": _cmd_validate, "schema": _cmd_schema,
               "cashflows": _cmd_cashflows, "sensitivity": _cmd_sensitivity,
               "size": _cmd_size, "compare": _cmd_compare, "check": _cmd_check,
               "sweep": _cmd_sweep,
               "report": _cmd_report, "track": _cmd_track,
               "warmup": _cmd_warmup}[args.command]
    args.backend_obj = None
    try:
        if getattr(args, "backend", "local") == "dask":
            from engine.backends import DaskBackend

            args.backend_obj = DaskBackend(scheduler=args.scheduler)
        elif getattr(args, "scheduler", None):
            raise InputError("--scheduler needs --backend dask")
        return handler(args)
    except ScenarioError as exc:
        source = exc.source or getattr(args, "scenario", None)
        for problem in exc.problems:
            print(f"{source}: {problem}" if source else str(problem), file=sys.stderr)
        return EXIT_INPUT
    except (InputError, OSError) as exc:
        if args.debug and not isinstance(exc, InputError):
            raise
        print(f"ipabs {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        print(_interrupted(args), file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence, exit 1
        if args.debug or os.environ.get("IPABS_DEBUG"):
            raise
        print(f"ipabs {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if args.backend_obj is not None:
            args.backend_obj.close()


if __name__ == "__main__":
    raise SystemExit(main())
