"""Where chunks of paths run: here (the default) or on a Dask cluster.

The Dask backend ships the Plan to every worker once (scattered, broadcast), submits one
task per chunk of blocks (the same chunks as a local run), and folds the chunks' block rows
on the client strictly in block order, so a distributed result is bit-identical to the
local one with the same seed. Ctrl-C cancels the outstanding tasks; nothing is written.
Install with ``pip install -e ".[distributed]"``.
"""
from __future__ import annotations

from engine.errors import ScenarioError

_RUNNERS: dict = {}   # per worker process: the ChunkRunner of the current Plan


def _run_chunk(plan, paths, seed, chunk_blocks, z_scale, record, first, nb):
    """A Dask task: one chunk on a worker (its ChunkRunner reused across tasks)."""
    from engine.simulate import ChunkRunner

    key = (id(plan), paths, seed, chunk_blocks, z_scale, record)
    runner = _RUNNERS.get(key)
    if runner is None:
        _RUNNERS.clear()
        runner = _RUNNERS[key] = ChunkRunner(plan, paths, seed, chunk_blocks, z_scale, record)
    return runner.run(first, nb)


class DaskBackend:
    """Run chunks on a Dask cluster: an existing scheduler's address, or a local cluster."""

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 client=None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError("the Dask backend needs `pip install -e \".[distributed]\"`") \
                from None
        self._own = client is None
        if client is not None:
            self.client = client
        elif scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)

    def simulate(self, plan, paths, seed, chunk_blocks, z_scale, record, folder, progress):
        from engine.simulate import BLOCK_SIZE, chunks

        plan_future = self.client.scatter(plan, broadcast=True, hash=False)
        futures = [self.client.submit(_run_chunk, plan_future, paths, seed, chunk_blocks,
                                      z_scale, record, first, nb, pure=False)
                   for first, nb in chunks(paths, chunk_blocks)]
        try:
            for future in futures:               # in order: the fold is block by block
                chunk = future.result()
                folder.add(chunk)
                if progress is not None:
                    progress(min(folder.next_block * BLOCK_SIZE, paths), paths)
        except BaseException:
            self.client.cancel(futures)
            raise
        return folder.totals()

    def close(self) -> None:
        if self._own:
            self.client.close()
            cluster = getattr(self, "cluster", None)
            if cluster is not None:
                cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
