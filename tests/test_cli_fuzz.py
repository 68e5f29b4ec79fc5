"""Random command lines never produce a traceback: usage or input errors exit 2 with a
message, everything else 0 (issue #17)."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main

COMMANDS = ["run", "cashflows", "validate", "schema", "sensitivity", "size", "compare", "check",
            "report"]
OPTIONS = ["--paths", "--seed", "--json", "--out", "--csv", "--quiet", "--default", "--cdr",
           "--timing", "--recovery", "--recovery-lag", "--change", "--tranche", "--target",
           "--update", "--backend", "--scheduler", "--debug", "-h", "--"]
#: Only relative paths: the test runs in an empty folder, and an output option must never
#: name a real system file (a regressed implementation could replace it).
VALUES = ["0", "1", "-1", "2", "1e12", "nan", "inf", "-inf", "1_000", "0x10", "", " ", ".", "..",
          "a.yaml", "dir/", "B1:2", ":", "=",
          "pd_multiplier=nan", "lag_shift=99999999999999999999", "front:2", "nan,1", "AAAsf",
          "dask", "local", "tcp://127.0.0.1:1", "\x1b[2J", "\u202e", "é", "-", "--json=x",
          # issue #30: YAML 1.1 readings, huge numbers, folders named as files, invisible ids
          "1:00", "017", "1e308", "newdir/", "legal_final=1:00,2", "pd_multiplier=1e308",
          "A\u200b", "\u0410", "\u200b"]

tokens = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES),
                   st.text(max_size=12).filter(lambda t: "\x00" not in t and "/" not in t))
#: Mostly well-formed lines (a positional, then option-value pairs) reach past argparse.
shaped = st.builds(lambda first, pairs: [first, *(x for pair in pairs for x in pair)],
                   st.sampled_from(VALUES), st.lists(st.tuples(st.sampled_from(OPTIONS), tokens),
                                                     max_size=4))


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS), st.one_of(st.lists(tokens, max_size=8), shaped))
def test_random_command_lines_exit_0_or_2_without_traceback(tmp_path, capsys, command, rest):
    cwd = os.getcwd()
    os.chdir(tmp_path)          # relative paths name nothing; outputs could only land here
    try:
        try:
            status = main([command, *rest])
        except SystemExit as exc:    # argparse: --help (0) or a usage error (2)
            status = exc.code
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    assert status in (0, 2), (command, rest, status, err)
    assert "Traceback" not in err
    if status == 2:
        assert err.strip()
    for bad in ("\x1b", "\u202e", "\u200b"):
        assert bad not in out and bad not in err
    assert not (tmp_path / "newdir").exists()      # never a file named after a folder
