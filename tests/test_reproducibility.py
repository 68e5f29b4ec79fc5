"""Same scenario, paths and seed: bit-identical results for any thread count or chunk size."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import engine
from engine.plan import compile_plan
from engine.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def _strip(doc):
    doc = dict(doc)
    doc["run"] = {k: v for k, v in doc["run"].items() if k != "elapsed_s"}
    return doc


def test_chunk_size_does_not_change_a_bit():
    plan = compile_plan(engine.load_scenario(SHIPPED))
    runs = [simulate(plan, 20_001, 3, chunk_blocks=c) for c in (1, 3, 64)]
    for other in runs[1:]:
        assert other.sums.tobytes() == runs[0].sums.tobytes()
        assert other.max_cash_error == runs[0].max_cash_error
        assert (other.default_rate_hist == runs[0].default_rate_hist).all()
        assert (other.obligor_defaults == runs[0].obligor_defaults).all()


def test_thread_count_does_not_change_a_bit(tmp_path):
    docs = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.json"
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths", "30000",
                        "--seed", "9", "--json", str(out), "--quiet"], check=True, env=env)
        docs.append(_strip(json.loads(out.read_text())))
    assert docs[0] == docs[1]


def _importance_sampled_scenario(tmp_path) -> Path:
    """The shipped deal under importance sampling with a twist and the defensive mixture
    (each path's component drawn from its own stream, a twist ratio on unshifted paths)."""
    text = SHIPPED.read_text(encoding="utf-8")
    plain = "simulation: {paths: 200_000, seed: 20250101, method: plain}"
    assert plain in text
    path = tmp_path / "importance.yaml"
    path.write_text(text.replace(plain, "simulation: {paths: 200_000, seed: 20250101, "
                                        "method: importance, importance: {twist: true, "
                                        "defensive_share: 0.2}}"), encoding="utf-8")
    return path


def test_importance_sampling_does_not_change_a_bit_with_the_chunk_size(tmp_path):
    from engine.sampling import importance_plan

    sc = engine.load_scenario(_importance_sampled_scenario(tmp_path))
    plan, _ = importance_plan(sc, compile_plan(sc), 3)
    assert plan.defensive_share == 0.2 and plan.twist_target > 0
    runs = [simulate(plan, 20_001, 3, chunk_blocks=c) for c in (1, 3, 64)]
    for other in runs[1:]:
        assert other.sums.tobytes() == runs[0].sums.tobytes()
        assert other.default_rate_hist.tobytes() == runs[0].default_rate_hist.tobytes()
        assert other.default_rate_hist_sq.tobytes() == runs[0].default_rate_hist_sq.tobytes()
        assert (other.obligor_defaults == runs[0].obligor_defaults).all()


def test_importance_sampling_does_not_change_a_bit_with_the_thread_count(tmp_path):
    scenario = _importance_sampled_scenario(tmp_path)
    docs = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.json"
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-m", "engine", "run", str(scenario), "--paths",
                        "30000", "--seed", "9", "--json", str(out), "--quiet"], check=True,
                       env=env)
        docs.append(_strip(json.loads(out.read_text())))
    assert docs[0]["run"]["importance"]["defensive_share"] == 0.2
    assert docs[0] == docs[1]


def test_different_seeds_give_different_paths():
    sc = engine.load_scenario(SHIPPED)
    a = engine.run(sc, paths=5000, seed=1).to_dict()
    b = engine.run(sc, paths=5000, seed=2).to_dict()
    assert a["pool"] != b["pool"]


def test_cash_is_conserved_on_every_simulated_path():
    res = engine.run(engine.load_scenario(SHIPPED), paths=50_000, seed=4)
    assert res.diagnostics["max_cash_error"] < 1e-4   # currency units, on a CNY 206m deal


def _chunk_by_chunk(plan, paths, seed, chunk_blocks, record=False):
    """The chunks run one after the other, each waiting for its last block (``run``)."""
    from engine.simulate import ChunkRunner, Folder, chunks

    folder = Folder((plan,), paths, record)
    runner = ChunkRunner((plan,), paths, seed, chunk_blocks, 1.0, record)
    for first, nb in chunks(paths, chunk_blocks):
        folder.add(runner.run(first, nb))
    return folder.totals()


def test_chunks_run_side_by_side_give_the_numbers_of_chunks_run_in_turn():
    """``ChunkRunner.run_all`` (threads go on to the next chunk while one is folded) gives
    every number of the chunk-by-chunk run, the per-path record included, and calls the
    progress in order."""
    import numba

    plan = compile_plan(engine.load_scenario(SHIPPED))
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        for chunk_blocks in (1, 2, 5):
            want = _chunk_by_chunk(plan, 9_001, 4, chunk_blocks, record=True)
            seen = []
            got = simulate(plan, 9_001, 4, chunk_blocks=chunk_blocks, record=True,
                           progress=lambda done, total: seen.append(done))
            assert got.sums.tobytes() == want.sums.tobytes()
            assert (got.default_rate_hist == want.default_rate_hist).all()
            assert (got.obligor_defaults == want.obligor_defaults).all()
            assert got.max_cash_error == want.max_cash_error
            for name in ("weight", "default", "loss"):
                assert getattr(got.record, name).tobytes() == getattr(want.record,
                                                                      name).tobytes()
            assert seen == sorted(seen) and seen[-1] == 9_001
            assert len(seen) == -(-9 // chunk_blocks)
    finally:
        numba.set_num_threads(before)


def test_an_error_while_chunks_run_side_by_side_stops_the_run_and_is_raised():
    """A progress callback (the folding side) that fails, or a block that fails, ends the
    run with that error and leaves no thread behind."""
    import numba
    import pytest

    from engine.simulate import ChunkRunner

    plan = compile_plan(engine.load_scenario(SHIPPED))
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        calls = []

        def stop(done, total):
            calls.append(done)
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            simulate(plan, 20_000, 4, chunk_blocks=2, progress=stop)
        assert len(calls) == 1

        runner = ChunkRunner((plan,), 20_000, 4, 2, 1.0, False)
        block = runner._block

        def broken(first, b, slot, work, record):
            if first + b == 5:
                raise RuntimeError("block 5")
            block(first, b, slot, work, record)

        runner._block = broken
        folded = []
        with pytest.raises(RuntimeError, match="block 5"):
            runner.run_all([(0, 2), (2, 2), (4, 2), (6, 2)], folded.append)
        assert [c.first for c in folded] in ([], [0], [0, 2])   # in order, none after
        # nothing left waiting or half-written: the next run is whole
        assert simulate(plan, 6_000, 4, chunk_blocks=2).sums.tobytes() == \
            _chunk_by_chunk(plan, 6_000, 4, 2).sums.tobytes()
    finally:
        numba.set_num_threads(before)
