"""The tutorial's commands run as written."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [line[2:] for b in blocks for line in b.splitlines() if line.startswith("$ ")]


def test_the_tutorial_has_commands():
    cmds = _commands()
    assert len(cmds) >= 10 and all(c.startswith("ipabs ") for c in cmds)


def test_every_tutorial_command_runs_as_written(tmp_path):
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")   # a clean clone: no out/
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if shutil.which("ipabs", path=env["PATH"]) is None:      # not installed: same entry point
        shim = tmp_path / "bin" / "ipabs"
        shim.parent.mkdir()
        shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m engine \"$@\"\n")
        shim.chmod(0o755)
        env["PATH"] = str(shim.parent) + os.pathsep + env["PATH"]
    for cmd in _commands():
        p = subprocess.run(cmd, shell=True, cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, f"{cmd}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    assert (tmp_path / "out" / "report" / "report.html").exists()
    assert (tmp_path / "out" / "report.xlsx").exists()
    assert "优先级" in (tmp_path / "out" / "chengdu" / "report.html").read_text(encoding="utf-8")
