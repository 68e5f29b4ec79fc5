"""The commands that write reports or read files only: ``report``, ``track``,
``validate``, ``warmup``, ``schema`` and ``template``."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from engine.errors import ScenarioError
from engine.report.safe_text import terminal_safe
from engine.cli.common import EXIT_OK, EXIT_INPUT, _outputs, _finite, _lang, _load


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
        js = outs.add("--json", args.json, document=True)
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
        js = outs.add("--json", args.json, document=True)
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


#: The files ``ipabs template`` writes into its folder.
TEMPLATE_YAML, TEMPLATE_TAPE = "deal.yaml", "deal.xlsx"


def _cmd_template(args) -> int:
    """A blank deal in ``--out DIR``: ``deal.yaml`` (the deal-level terms) and ``deal.xlsx``
    (the lists, headed and documented). Creates DIR if needed; never replaces a file."""
    import os

    from engine.errors import InputError
    from engine.report.files import Outputs
    from engine.report.tape_template import tape_workbook, template_yaml

    folder, lang = Path(args.out), args.lang or "en"
    created = False
    if not folder.exists() and not folder.is_symlink():
        if not folder.absolute().parent.is_dir():
            raise InputError(f"--out {args.out}: folder {folder.absolute().parent} does not "
                             "exist")
        os.mkdir(folder)
        created = True
    elif not folder.is_dir():
        raise InputError(f"--out {args.out}: is not a folder; give a folder (it may exist: "
                         "ipabs adds deal.yaml and deal.xlsx and never replaces a file)")
    try:
        with Outputs() as outs:
            scenario = outs.add("--out", folder / TEMPLATE_YAML, new=True)
            tape = outs.add("--out", folder / TEMPLATE_TAPE, new=True)
            outs.check()
            outs.stage_text(scenario, template_yaml(TEMPLATE_TAPE, TEMPLATE_YAML, lang))
            outs.stage_bytes(tape, tape_workbook(lang=lang))
            outs.commit()
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()                  # only if still empty: nothing of ours left
        raise
    shown = folder / TEMPLATE_YAML
    print(f"wrote {shown} and {folder / TEMPLATE_TAPE}: fill the workbook, then "
          f"`ipabs run {shown}`")
    return EXIT_OK
