"""Run a list of independent points through an executor into a resumable :class:`PointStore`.

The one loop behind every experiment that is a set of sweep points besides the memory sweep
(familiarity capacity, the continual-learning comparison): points already in the store are not
computed again, each finished point is stored (checksummed) as soon as it arrives, and the
results come back in task order whatever the executor (serial, local processes, Dask).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from .executors import ExecutorSpec, run_tasks
from .store import PointStore

__all__ = ["run_stored_points"]


def run_stored_points(point: Callable[[dict], dict], tasks: list[dict], store_dir: str | Path, fingerprint: str,
                      info: dict, executor: ExecutorSpec, restart: bool, progress: bool, desc: str) -> list[dict]:
    """Compute ``point(task)`` for every task whose ``task["index"]`` is not yet stored in
    ``store_dir`` (a store made for another ``fingerprint`` is refused), and return every stored
    result in task order. Parallel executors get one numba thread per worker (``task["threads"]``)."""
    threads = 1 if executor.kind != "serial" else None  # workers already fill the cores
    for task in tasks:
        task["threads"] = threads
    store = PointStore(store_dir, fingerprint, info)
    with store.open(restart=restart):
        done = store.done()
        todo = [t for t in tasks if t["index"] not in done]
        bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), disable=None if progress else True,
                   unit="point", leave=False, desc=desc)

        def on_result(result: dict) -> None:
            store.write(int(result["index"]), result)
            bar.update(1)

        run_tasks(point, todo, executor, on_result)
        bar.close()
        return [store.read(t["index"]) for t in tasks]
