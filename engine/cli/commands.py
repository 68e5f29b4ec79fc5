"""The simulating commands: ``run``, ``cashflows``, ``sensitivity``, ``size``, ``sweep``,
``compare`` and ``check``."""
from __future__ import annotations

import math
import sys
from pathlib import Path

from engine.errors import InputError, Problem, ScenarioError
from engine.cli.common import EXIT_OK, EXIT_INTERNAL, _outputs, _finite, _lang, _load
from engine.cli.progress import _progress_printer
from engine.cli.files_commands import _stage_report_dir


def _cmd_run(args) -> int:
    from engine.report.files import result_json
    from engine.report.table import ladder_text, reliance_text, tranche_table

    scenario = _load(args)
    with _outputs(args, (args.scenario, scenario)) as outs:
        js = outs.add("--json", args.json, document=True)
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


def _cmd_cashflows(args) -> int:
    from engine.api import cashflows
    from engine.report.files import csv_text, result_json
    from engine.scenario import load_scenario

    scenario = _load(args) if args.state else load_scenario(args.scenario)
    if (args.state_at is None) != (args.state_out is None):
        raise InputError("--state-at K and --state-out FILE go together")
    with _outputs(args, (args.scenario, scenario)) as outs:
        csv_target = outs.add("--csv", args.csv, table="period")
        js = outs.add("--json", args.json, document=True)
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
        js = outs.add("--json", args.json, document=True)
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
        js = outs.add("--json", args.json, document=True)
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
    from engine.scenario.yaml_lines import read_yaml

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
            x, _, problems = read_yaml(v.strip())   # as a scenario file reads it
            if problems:
                raise InputError(f"--vary {path}: cannot read {v.strip()!r}: "
                                 f"{problems[0].message}")
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
        js = outs.add("--json", args.json, document=True)
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
        js = outs.add("--json", args.json, document=True)
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
        js = outs.add("--json", args.json, document=True)
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
