"""Every file in tests/malformed/ is a complete scenario with one thing wrong.

Each starts with ``# expect: <substring>`` (and optionally ``# line: N``): loading it must
raise :class:`ScenarioError` with a problem whose text contains the substring, on that line.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ScenarioError
from engine.scenario import load_scenario

MALFORMED = Path(__file__).parent / "malformed"
FILES = sorted(MALFORMED.glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, int | None]:
    head = path.read_bytes().decode("utf-8", "replace").splitlines()
    assert head and head[0].startswith("# expect: "), f"{path.name} lacks '# expect:'"
    expect = head[0][len("# expect: "):]
    line = None
    if len(head) > 1 and head[1].startswith("# line: "):
        line = int(head[1][len("# line: "):])
    return expect, line


def test_there_are_enough_malformed_files():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_malformed_file_is_reported_with_its_expected_problem(path):
    expect, line = _expectation(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert error.source == str(path)
    assert error.problems
    matches = [p for p in error.problems if expect in str(p)]
    assert matches, f"no problem contains {expect!r}:\n{error}"
    if line is not None:
        assert any(p.line == line for p in matches), f"expected line {line}:\n{error}"


def test_python_tag_is_never_constructed(monkeypatch):
    # builtins.exit would raise SystemExit if the tag were executed; it must not be touched.
    import builtins

    called = []
    monkeypatch.setattr(builtins, "exit", lambda *a: called.append(a))
    with pytest.raises(ScenarioError):
        load_scenario(MALFORMED / "python_object_tag.yaml")
    assert called == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_malformed_file_exits_2_on_the_command_line_without_traceback(path, command, capsys,
                                                                      tmp_path):
    from engine.cli import main

    expect, _ = _expectation(path)
    out = tmp_path / "result.json"
    args = [command, str(path)] + (["--json", str(out), "--paths", "10"] if command == "run" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
