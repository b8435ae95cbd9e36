"""Executors for sweep points: serial, a local process pool, or Dask distributed.

Every executor runs the same pure function on the same task dicts (each carrying its point's
own seed), and results come back to the calling process, which stores each one as soon as it
arrives. So the numbers do not depend on the executor, the number of workers or the order of
completion; only wall time does.

* ``serial``   in this process (numba kernels use all threads);
* ``pool``     ``concurrent.futures.ProcessPoolExecutor`` with ``spawn`` workers (safe with numba's
               thread pool), one numba thread per worker;
* ``dask``     ``distributed.Client`` on a running scheduler (``tcp://host:port``) or on a
               ``LocalCluster`` of N single-threaded worker processes. Dask is an optional extra:
               ``pip install neuromorph[dask]``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

from ..errors import ExecutorError

__all__ = ["ExecutorSpec", "DaskUnavailable", "run_tasks", "describe", "DASK_HINT", "available_cpus",
           "check_scheduler"]

DASK_HINT = "pip install neuromorph[dask]"


class DaskUnavailable(ExecutorError):
    """Dask (distributed) is not installed, or the scheduler cannot be reached in time."""


@dataclass(frozen=True)
class ExecutorSpec:
    """``kind`` is 'serial', 'pool' or 'dask'; ``workers`` for pool and LocalCluster;
    ``scheduler`` the address of a running Dask scheduler (then no LocalCluster is started);
    ``timeout_s`` how long to wait for that scheduler before :class:`DaskUnavailable` is raised."""

    kind: str = "pool"
    workers: int = 1
    scheduler: str | None = None
    timeout_s: float = 20.0

    def __post_init__(self) -> None:
        if self.kind not in ("serial", "pool", "dask"):
            raise ValueError(f"unknown executor {self.kind!r}; expected serial, pool or dask")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")


def describe(spec: ExecutorSpec) -> str:
    if spec.kind == "serial":
        return "serial (this process)"
    if spec.kind == "pool":
        return f"local process pool, {spec.workers} workers"
    if spec.scheduler:
        return f"Dask scheduler {spec.scheduler}"
    return f"Dask LocalCluster, {spec.workers} workers"


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the sweep process died (e.g. killed): do not linger
            os._exit(1)


def _worker_init() -> None:
    """Pool worker initialiser: one numba thread per worker process (no oversubscription; the
    task sets it again, numba's setting being per thread, see :func:`neuromorph.kernels.set_thread_count`),
    and exit as soon as the parent process is gone (a killed sweep leaves no orphans)."""
    os.environ["NUMBA_NUM_THREADS"] = "1"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def run_tasks(fn: Callable[[dict], dict], tasks: Iterable[dict], spec: ExecutorSpec,
              on_result: Callable[[dict], None]) -> None:
    """Run ``fn(task)`` for every task with the chosen executor, calling ``on_result(result)``
    in this process as each finishes (in completion order). Pending work is cancelled if
    ``on_result`` or the run raises (e.g. KeyboardInterrupt)."""
    tasks = list(tasks)
    if not tasks:
        return
    if spec.kind == "serial":
        for task in tasks:
            on_result(fn(task))
        return
    if spec.kind == "pool":
        _run_pool(fn, tasks, spec.workers, on_result)
        return
    _run_dask(fn, tasks, spec, on_result)


def _run_pool(fn, tasks, workers, on_result) -> None:
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context, initializer=_worker_init)
    try:
        pending = {pool.submit(fn, task) for task in tasks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                on_result(future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _import_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise DaskUnavailable(f"the Dask executor needs dask.distributed, which is not installed: {DASK_HINT}") from None
    return distributed


def check_scheduler(address: str, timeout_s: float = 20.0) -> None:
    """Refuse (:class:`DaskUnavailable`) a scheduler address that is malformed or where nothing
    accepts a TCP connection within ``timeout_s`` — before any work or store is set up."""
    import socket
    from urllib.parse import urlsplit

    text = address.strip()
    parts = urlsplit(text if "://" in text else f"tcp://{text}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme not in ("tcp", "tls") or not host or port is None:
        raise DaskUnavailable(f"--scheduler {address!r}: expected an address such as tcp://host:8786",
                              option="--scheduler")
    if parts.scheme == "tls":
        return  # TLS handshakes need the client's certificates: left to distributed.Client
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s "
                              f"({exc.strerror or exc}); is it running, and is the address right? "
                              f"(--scheduler-timeout waits longer)", option="--scheduler") from None


def _run_dask(fn, tasks, spec: ExecutorSpec, on_result) -> None:
    distributed = _import_distributed()
    cluster = None
    try:
        if spec.scheduler:
            try:
                client = distributed.Client(spec.scheduler, timeout=f"{spec.timeout_s}s")
            except Exception as exc:  # noqa: BLE001 - whatever a non-scheduler peer makes the client raise
                raise DaskUnavailable(f"cannot reach the Dask scheduler at {spec.scheduler} within "
                                      f"{spec.timeout_s:g} s: {exc}. Is the scheduler running and the address "
                                      f"right (tcp://host:8786)? (--scheduler-timeout waits longer)",
                                      option="--scheduler") from None
        else:
            cluster = distributed.LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=40,
                                               env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
            client = distributed.Client(cluster)
        try:
            futures = [client.submit(fn, task, pure=False) for task in tasks]
            try:
                for future in distributed.as_completed(futures):
                    on_result(future.result())
            except BaseException:
                client.cancel(futures)
                raise
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1

