"""What YAML 1.1 would silently read otherwise is refused with the key and its line: keys
that are not names, base-60 and octal numbers; and the size of a document is bounded while
it is read, before any model is built (issue #30)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import ScenarioError
from engine.scenario import load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "tests" / "data" / "format_example.yaml").read_text()
DATA = ROOT / "tests" / "data" / "scenario"
WUHAN = ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"
STATE = ROOT / "scenarios" / "trustee_reports" / "wuhan_year1_quiet.yaml"


def _problem(text: str):
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, base_dir=DATA)
    return caught.value.problems[0]


@pytest.mark.parametrize("key", ["1", "null", "1.5", "yes", "2020-01-01", "~", "0x1F"])
def test_a_key_that_is_not_a_name_is_refused_with_its_line(key):
    top = _problem(f"{key}: x\n" + BASE)
    assert top.line == 1 and repr(key) in top.message and "quote it" in top.message
    nested = BASE.replace("    other: 0.10\n", f"    other: 0.10\n    {key}: 0.2\n")
    problem = _problem(nested)
    assert problem.path == f"correlation.pairwise.{key}"
    assert problem.line == nested.splitlines().index(f"    {key}: 0.2") + 1


@pytest.mark.parametrize("key", ["1", "null", "yes", "2020-01-01"])
def test_every_command_refuses_such_a_key_in_a_scenario_or_a_state(tmp_path, capsys, key):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(WUHAN.read_text() + f"\n{key}: 3\n")
    for argv in (["validate", str(scenario)], ["cashflows", str(scenario)],
                 ["run", str(scenario), "--paths", "100"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"the key {key!r}" in err and "(line " in err and "Traceback" not in err
    state = tmp_path / "state.yaml"
    state.write_text(STATE.read_text().replace("as_of: 4\n", f"as_of: 4\nobligors: {{{key}: "
                                                              "{rating: A}}\n"))
    for argv in (["validate", str(WUHAN), "--state", str(state)],
                 ["run", str(WUHAN), "--state", str(state), "--paths", "100"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"obligors.{key}: the key {key!r}" in err and "Traceback" not in err


#: What a number field holding each spelling gives: the number, or words of the refusal.
SPELLINGS = {"1:00": "read by YAML 1.1 as a base-60 (sexagesimal) number (60)",
             "1:30.5": "base-60 (sexagesimal) number (90.5)", "017": "an octal number (15)",
             "-0_17": "an octal number (-15)", "00": "an octal number (0)",
             ".inf": "got the number inf", "yes": "got the boolean true",
             "off": "got the boolean false", "0o17": "got the text '0o17'",
             "1e6": "write 1.0e+6", "0x6": 6, "0b110": 6, "+6": 6, "6": 6, "1_2": 12}


def test_yaml_1_1_numbers_are_read_as_written_or_refused_saying_what_was_written():
    for written, expected in SPELLINGS.items():
        text = BASE.replace("legal_final: 6 ", f"legal_final: {written} ")
        if isinstance(expected, int):
            if expected != 6:
                text = text.replace("cumulative: [", "cumulative: [0.01, 0.01, 0.01, 0.01, "
                                                     "0.01, 0.01, ")
            assert load_scenario_text(text, base_dir=DATA).legal_final == expected, written
            continue
        problem = _problem(text)
        assert (problem.path, problem.line) == ("legal_final", 6), written
        assert expected in problem.message, (written, problem.message)
        if "YAML 1.1" in expected:
            assert repr(written) in problem.message and "quote it" in problem.message


def test_vary_values_are_read_like_the_file(capsys):
    argv = ["sweep", str(WUHAN), "--vary", "legal_final=1:00,20", "--paths", "100"]
    assert main(argv) == 2
    assert "base-60" in capsys.readouterr().err


# ----------------------------------------------------------------------------- size bounds


def _refused_before_composing(monkeypatch, text: str):
    import yaml

    def compose(*args, **kwargs):
        raise AssertionError("composed a document that is too large")

    monkeypatch.setattr(yaml, "compose", compose)
    return _problem(text)


def test_too_many_values_are_refused_before_any_is_built(monkeypatch):
    from engine.limits import MAX_YAML_NODES

    text = BASE + "junk: [" + "1," * MAX_YAML_NODES + "1]\n"
    problem = _refused_before_composing(monkeypatch, text)
    assert f"more than {MAX_YAML_NODES:,} values" in problem.message
    assert problem.line == BASE.count("\n") + 1 and "assets_file" in problem.message


def test_a_63_mib_list_is_refused_in_seconds_with_little_memory(tmp_path):
    path = tmp_path / "junk.yaml"
    with open(path, "w") as fh:
        fh.write(BASE + "junk: [")
        fh.write("1," * ((63 * 2**20 - len(BASE)) // 2) + "1]\n")
    # the peak of this process's own memory (VmHWM): ru_maxrss would also count the
    # pytest process it was forked from (Linux keeps the high-water mark across exec)
    code = ("import re, sys; from engine.cli import main; status = main(['validate', "
            f"{str(path)!r}]); print(re.search(r'VmHWM:\\s+(\\d+)', "
            "open('/proc/self/status').read()).group(1)); sys.exit(status)")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert time.monotonic() - started < 30      # minutes before the bound (5 s alone here)
    assert done.returncode == 2 and "values" in done.stderr and "Traceback" not in done.stderr
    assert int(done.stdout.split()[-1]) < 2**20            # KiB: below 1 GiB
