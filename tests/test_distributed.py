"""The Dask backend gives the local results, bit for bit (timing aside)."""
from __future__ import annotations

from pathlib import Path

import pytest

import engine
from builders import bullet_pool, load

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def backend():
    from engine.backends import DaskBackend

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield DaskBackend(client=client)
    client.close()
    cluster.close()


def _same(a: dict, b: dict) -> None:
    for doc in (a, b):
        doc["run"].pop("elapsed_s", None)
    assert a == b


def test_plain_run_is_identical_to_local(backend):
    sc = engine.load_scenario(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml")
    seen = []
    dist = engine.run(sc, paths=60_001, seed=5, backend=backend,
                      progress=lambda done, total: seen.append((done, total)))
    _same(engine.run(sc, paths=60_001, seed=5).to_dict(), dist.to_dict())
    # one bar over the full, the standalone and the support ladder's one run (its AAA
    # guarantee company): 3 x 60,001 paths
    assert seen == sorted(seen) and seen[-1] == (3 * 60_001, 3 * 60_001)


def test_importance_sampled_run_is_identical_to_local(backend):
    doc = bullet_pool([0.01] * 25, [1e6] * 25, 0.2, legal_final=1, senior_share=0.72,
                      paths=40_000, seed=3)
    doc["simulation"]["method"] = "importance"
    doc["simulation"]["importance"] = {"twist": True}
    sc = load(doc)
    _same(engine.run(sc).to_dict(), engine.run(sc, backend=backend).to_dict())


def test_sensitivity_run_is_identical_to_local(backend):
    from engine.analysis.sensitivity import sensitivity

    sc = engine.load_scenario(ROOT / "scenarios" / "pudong_trust_loan.yaml")
    local = sensitivity(sc, paths=20_000)
    dist = sensitivity(sc, paths=20_000, backend=backend)
    for doc in (local, dist):
        doc["base"]["run"].pop("elapsed_s")
    assert local == dist


def test_a_book_is_identical_to_local(backend, monkeypatch):
    """A guarantor's book on Dask (in chunks of 1,000 paths): the same document, bit for
    bit (the deals' own ratings beside it included)."""
    import engine.books.simulate as book_sim

    monkeypatch.setattr(book_sim, "DASK_CHUNK", 1000)
    book = ROOT / "scenarios" / "books" / "shenzhen_group.yaml"
    local = engine.book(book, paths=3000, seed=4)
    remote = engine.book(book, paths=3000, seed=4, backend=backend)
    assert local == remote
