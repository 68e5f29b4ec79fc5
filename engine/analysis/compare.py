"""Several enhancement designs side by side (each on its own scenario's random numbers)."""
from __future__ import annotations

from engine.api import run


def compare(scenarios, *, paths: int | None = None, seed: int | None = None,
            backend=None) -> dict:
    """``{"designs": [{"name", "source", "result"}]}`` for the scenarios given."""
    designs = []
    for sc in scenarios:
        res = run(sc, paths=paths, seed=seed, backend=backend)
        designs.append({"name": sc.name, "sha256": sc.sha256, "result": res.to_dict()})
    return {"format": "ipabs-compare/v1", "designs": designs}
