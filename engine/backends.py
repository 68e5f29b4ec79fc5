"""Where chunks of paths run: here (the default) or on a Dask cluster.

The Dask backend ships the Plan to every worker once (scattered, broadcast), submits one
task per chunk of blocks (the same chunks as a local run), and folds the chunks' block rows
on the client strictly in block order, so a distributed result is bit-identical to the
local one with the same seed. Ctrl-C cancels the outstanding tasks; nothing is written.
Install with ``pip install -e ".[distributed]"``.
"""
from __future__ import annotations

import collections
import itertools
import socket
import struct
import time
from urllib.parse import urlsplit

from engine.errors import InputError, ScenarioError
from engine.limits import SCHEDULER_TIMEOUT_S

_RUNNERS: dict = {}   # per worker process: the ChunkRunner of the current Plan
IN_FLIGHT_PER_WORKER = 4   # chunks submitted ahead per worker: memory never grows with paths


def probe_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT_S) -> None:
    """Check that ``address`` (``tcp://host:port``) is a Dask scheduler answering its
    handshake within ``timeout`` seconds; raise :class:`InputError` naming it otherwise.

    A Dask scheduler speaks first: one frame whose 8-byte little-endian length precedes a
    small msgpack mapping (``compression``, ``python``, ``pickle-protocol``). Anything else
    (silence, an HTTP server) would make the Dask client hang or allocate whatever length
    the first bytes spell. Other schemes (``tls://``, ``inproc://``) are left to Dask.
    """
    try:
        url = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = url.hostname, url.port
    except ValueError:
        raise InputError(f"--scheduler {address}: expected tcp://HOST:PORT") from None
    if url.scheme != "tcp":
        return
    if not host or port is None:
        raise InputError(f"--scheduler {address}: expected tcp://HOST:PORT")
    deadline = time.monotonic() + timeout

    def read(sock, n: int) -> bytes:
        data = b""
        while len(data) < n:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            part = sock.recv(n - len(data))
            if not part:
                raise ConnectionError("the connection was closed")
            data += part
        return data

    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            (size,) = struct.unpack("<Q", read(sock, 8))
            body = read(sock, size) if 8 <= size <= 1 << 16 else b""
    except TimeoutError:
        raise InputError(f"--scheduler {address}: no Dask scheduler answered within "
                         f"{timeout:g} s") from None
    except OSError as exc:
        raise InputError(f"--scheduler {address}: cannot reach a Dask scheduler "
                         f"({exc.strerror or exc})") from None
    if b"pickle-protocol" not in body:
        raise InputError(f"--scheduler {address}: something answers there, but not a Dask "
                         "scheduler")


def _run_chunk(plans, paths, seed, chunk_blocks, z_scale, record, first, nb):
    """A Dask task: one chunk of a pass of ``plans`` on a worker (its ChunkRunner reused
    across tasks)."""
    from engine.simulate import ChunkRunner

    key = (id(plans), paths, seed, chunk_blocks, z_scale, record)
    runner = _RUNNERS.get(key)
    if runner is None:
        _RUNNERS.clear()
        runner = _RUNNERS[key] = ChunkRunner(plans, paths, seed, chunk_blocks, z_scale, record)
    return runner.run(first, nb)


class DaskBackend:
    """Run chunks on a Dask cluster: an existing scheduler's address, or a local cluster.

    The connection (or the local cluster) is made on first use, so bad input is reported
    before a cluster starts; a scheduler that does not answer is an :class:`InputError`.
    """

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 client=None):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ScenarioError("the Dask backend needs `pip install -e \".[distributed]\"`") \
                from None
        self._own = client is None
        self._client, self._scheduler, self._n_workers = client, scheduler, n_workers
        self.cluster = None

    @property
    def client(self):
        if self._client is None:
            from distributed import Client, LocalCluster

            if self._scheduler:
                probe_scheduler(self._scheduler)
                try:
                    self._client = Client(self._scheduler, timeout=SCHEDULER_TIMEOUT_S)
                except Exception as exc:  # noqa: BLE001 - whatever answers there: exit 2
                    raise InputError(f"--scheduler {self._scheduler}: cannot connect to a Dask "
                                     f"scheduler ({type(exc).__name__}: {exc})") from None
            else:
                self.cluster = LocalCluster(n_workers=self._n_workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None)
                self._client = Client(self.cluster)
        return self._client

    def simulate(self, plans, paths, seed, chunk_blocks, z_scale, record, folder, progress):
        """A pass of ``plans`` (see :func:`engine.simulate.simulate_set`), chunk by chunk on
        the cluster; one Totals per Plan."""
        from engine.simulate import BLOCK_SIZE, chunks

        plan_future = self.client.scatter([tuple(plans)], broadcast=True, hash=False)[0]
        pending = collections.deque()            # a bounded window of submitted chunks
        todo = chunks(paths, chunk_blocks)
        window = IN_FLIGHT_PER_WORKER * max(1, len(self.client.nthreads()))
        try:
            while True:
                for first, nb in itertools.islice(todo, window - len(pending)):
                    pending.append(self.client.submit(_run_chunk, plan_future, paths, seed,
                                                      chunk_blocks, z_scale, record, first, nb,
                                                      pure=False))
                if not pending:
                    break
                folder.add(pending.popleft().result())   # in order: block by block
                if progress is not None:
                    progress(min(folder.next_block * BLOCK_SIZE, paths), paths)
        except BaseException:
            self.client.cancel(list(pending))
            raise
        return folder.all_totals()

    def close(self) -> None:
        if self._own and self._client is not None:
            self._client.close()
        if self._own and self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
