"""The kernels compiled at install (engine.prebuilt, issue #29): read only while they are
current, a failed build never fails the install nor leaves a record, and a first run
after installing compiles nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import _jit, prebuilt

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def marked(tmp_path, monkeypatch):
    """A stand-in build folder and record; ``prebuilt_in_use`` re-read each time."""
    folder = tmp_path / "_compiled"
    folder.mkdir()
    mark = folder / "BUILT.json"
    monkeypatch.setattr(_jit, "PREBUILT_MARK", mark)
    monkeypatch.delenv("IPABS_PREBUILT", raising=False)
    _jit.prebuilt_in_use.cache_clear()
    yield mark
    _jit.prebuilt_in_use.cache_clear()


def _in_use() -> bool:
    _jit.prebuilt_in_use.cache_clear()
    return _jit.prebuilt_in_use()


def test_the_build_is_read_only_while_its_record_matches(marked, monkeypatch):
    assert not _in_use()                                         # no record
    marked.write_text(json.dumps(_jit.prebuilt_fingerprint()))
    assert _in_use()
    for field, other in (("kernel_stamp", "00" * 32), ("numba", "0.1"), ("numpy", "1.0")):
        marked.write_text(json.dumps(dict(_jit.prebuilt_fingerprint(), **{field: other})))
        assert not _in_use(), field                              # edited kernels, other numba
    marked.write_text("{not json")
    assert not _in_use()
    marked.write_text(json.dumps(_jit.prebuilt_fingerprint()))
    monkeypatch.setenv("IPABS_PREBUILT", "off")
    assert not _in_use()
    monkeypatch.setenv("IPABS_PREBUILT", "building")             # the build itself
    marked.unlink()
    assert _in_use()


def test_the_build_mirrors_the_package_folders():
    from engine.waterfall._kernels import run_path_cash

    py_func = run_path_cash.py_func
    locator = _jit._PrebuiltLocator(py_func, py_func.__code__.co_filename)
    assert Path(locator.get_cache_path()) == _jit.PREBUILT / "waterfall"
    assert locator.get_source_stamp() == _jit.kernel_stamp()


@pytest.fixture
def build_folder(tmp_path, monkeypatch):
    """engine.prebuilt writing into a scratch folder, its children stand-ins."""
    folder = tmp_path / "_compiled"
    monkeypatch.setattr(prebuilt, "PREBUILT", folder)
    monkeypatch.setattr(prebuilt, "PREBUILT_MARK", folder / "BUILT.json")
    monkeypatch.delenv("IPABS_PREBUILT", raising=False)
    return folder


def _fake_children(monkeypatch, code_by_part: dict[str, str]):
    started = []

    def child(root, part):
        started.append(part)
        return subprocess.Popen([sys.executable, "-c", code_by_part[part]],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    monkeypatch.setattr(prebuilt, "_child", child)
    return started


def test_a_build_runs_every_part_and_records_what_it_was_built_from(build_folder, monkeypatch):
    started = _fake_children(monkeypatch, {"deal": "pass", "book": "pass"})
    lines = []
    assert prebuilt.build_in_child(ROOT, lines.append)
    assert started == ["deal", "book"]
    record = json.loads((build_folder / "BUILT.json").read_text())
    assert record == _jit.prebuilt_fingerprint()
    assert "compiled in" in lines[-1]


def test_a_current_build_is_kept(build_folder, monkeypatch):
    build_folder.mkdir()
    (build_folder / "BUILT.json").write_text(json.dumps(_jit.prebuilt_fingerprint()))
    started = _fake_children(monkeypatch, {"deal": "pass", "book": "pass"})
    lines = []
    assert prebuilt.build_in_child(ROOT, lines.append)
    assert started == [] and "nothing to compile" in lines[0]
    (build_folder / "BUILT.json").write_text(json.dumps(
        dict(_jit.prebuilt_fingerprint(), kernel_stamp="00")))           # sources edited
    assert prebuilt.build_in_child(ROOT, lines.append)
    assert started == ["deal", "book"]


def test_a_failed_build_leaves_no_record_and_nothing_written(build_folder, monkeypatch):
    _fake_children(monkeypatch, {
        "deal": "import sys; sys.exit('numba could not compile')",
        "book": "pass"})
    lines = []
    assert not prebuilt.build_in_child(ROOT, lines.append)
    assert not build_folder.exists()
    assert "not compiled at install (numba could not compile)" in lines[-1]
    assert "compile on the first run" in lines[-1]


def test_the_switch_skips_the_build(build_folder, monkeypatch):
    started = _fake_children(monkeypatch, {"deal": "pass", "book": "pass"})
    monkeypatch.setenv("IPABS_PREBUILT", "off")
    lines = []
    assert not prebuilt.build_in_child(ROOT, lines.append)
    assert started == [] and not build_folder.exists()
    assert "IPABS_PREBUILT=off" in lines[0]


def test_a_folder_holding_other_files_is_left_alone(build_folder):
    (build_folder / "waterfall").mkdir(parents=True)
    (build_folder / "waterfall" / "x.nbi").write_bytes(b"")
    (build_folder / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="left alone"):
        prebuilt.clear()
    assert (build_folder / "notes.txt").read_text() == "mine"
    (build_folder / "notes.txt").unlink()
    prebuilt.clear()
    assert not build_folder.exists()


def test_the_build_backend_compiles_before_setuptools_builds(monkeypatch):
    sys.path.insert(0, str(ROOT / "_build"))
    try:
        import backend
    finally:
        sys.path.remove(str(ROOT / "_build"))
    calls = []
    monkeypatch.setattr(backend, "_compile_kernels", lambda: calls.append("kernels"))
    monkeypatch.setattr(backend._setuptools, "build_editable",
                        lambda *a: calls.append("editable") or "x.whl")
    monkeypatch.setattr(backend._setuptools, "build_wheel",
                        lambda *a: calls.append("wheel") or "x.whl")
    assert backend.build_editable("dist") == "x.whl"
    assert backend.build_wheel("dist") == "x.whl"
    assert calls == ["kernels", "editable", "kernels", "wheel"]
    for hook in ("get_requires_for_build_wheel", "get_requires_for_build_editable",
                 "prepare_metadata_for_build_wheel", "build_sdist"):
        assert callable(getattr(backend, hook))


@pytest.mark.skipif(not _jit.prebuilt_in_use(),
                    reason="no current build of the kernels (installed with "
                           "IPABS_PREBUILT=off, or kernel sources edited since)")
def test_a_first_run_after_installing_compiles_nothing(tmp_path):
    """With the install's kernels current, a run with an empty numba cache loads them all:
    numba writes nothing into its cache."""
    cache = tmp_path / "numba"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-m", "engine", "run",
                           str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"),
                           "--paths", "2000", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "compiling" not in done.stderr
    assert not any(cache.rglob("*.nbi"))


def test_an_sdist_carries_the_backend_and_no_compiled_kernels(tmp_path):
    """A source distribution builds anywhere: it needs the backend (``backend-path``) and
    must not carry kernels compiled for this machine."""
    import tarfile

    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '_build');"
                           f"import backend; print(backend.build_sdist({str(tmp_path)!r}))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, IPABS_PREBUILT="off"))
    assert done.returncode == 0, done.stderr
    with tarfile.open(tmp_path / done.stdout.strip().splitlines()[-1]) as sdist:
        names = sdist.getnames()
    assert any(n.endswith("/_build/backend.py") for n in names)
    assert any(n.endswith("/engine/_jit.py") for n in names)
    assert not any("/_compiled" in n for n in names)
