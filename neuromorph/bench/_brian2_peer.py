"""The Brian2 peer of ``neuromorph bench step --peer brian2``: the same chain network simulated by
Brian2's own code generation, timed and checked against the exact solution in the same run.

The network (the :class:`~neuromorph.synapses.chain.LinearChain` of ``bench step``): N synapses,
each m variables u_1 … u_m with capacities C_k and couplings g_{k,k+1} (``couplings[-1]`` the
leak g_{m,m+1}),

    C_k du_k/dt = g_{k-1,k} (u_{k-1} − u_k) + g_{k,k+1} (u_{k+1} − u_k)      (u_0 ≡ u_1, u_{m+1} ≡ 0)

(one time unit = 1 s in Brian2), stepped with dt = 1; after every step each synapse gets the event
Δu_1 = α_t,n ∈ {−1, 0, +1} (the same pre-drawn ±1 stream for Brian2 and for neuromorph: a
``TimedArray`` of shape (steps, N) read by a ``run_regularly`` operation scheduled ``when='end'``,
i.e. after the state update, exactly the order of :func:`neuromorph.kernels.chain.eigen_step`).

Brian2 runs in runtime mode (``prefs.codegen.target`` ``'numpy'`` or ``'cython'``, one thread) with
``method='euler'`` (forward Euler, u ← u + dt·A u, first order) and ``method='exact'`` (Brian2's
sympy-based solution of linear equations). Brian2 2.9.0 accepts 'exact' for these equations only
when the symbolic solution has real closed forms: for m ≤ 2 it works, for m = 3 it refuses
("The solution to the linear system contains complex values which is currently not implemented")
and for m = 4 sympy did not finish within 300 s on the reference machine; each case therefore runs
in a child process with a time limit, and a refusal or a timeout is reported as such, never hidden.

``substeps`` K > 1 (for Euler: its error falls like dt, so K substeps of dt/K are what it needs to
approach a given accuracy) runs Brian2 with dt/K; the events then come from a ``run_regularly``
with its own clock dt at ``when='start'``, adding step k − 1's event at the start of step k, and the
check happens one substep after step ``steps`` (the reference is advanced by expm(A dt/K) to match).

Every case runs ``steps`` steps from u = 0 (first run: code generation, compilation for cython,
and the stepping — ``setup_s`` is its time minus ``steps`` × the step time), then ``rounds``
runs of ``steps`` and of 2 × ``steps`` steps: the difference of the best times of each, over
``steps``, is ``seconds_per_step`` (Brian2's per-``run()`` preparation, ``run_overhead_s``, cancels
out). The error is the largest |u − u_exact| over every
variable of the first ``subset`` synapses after the first ``steps`` steps, where u_exact comes
from the dense propagator P = expm(A dt) (``scipy.linalg.expm``, exact to rounding) applied step by
step: u ← P u, u_1 += α_t.

Brian2 2.9.0 fails with NumPy 2.4 (2.2.6 and 2.3.5 work), so it lives in its own virtual environment: the ``bench``
extra pins versions that work (:data:`INSTALL`).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["INSTALL", "METHODS", "TARGETS", "require_brian2", "chain_equations", "exact_reference", "run_case"]

def _source_tree() -> str:
    root = Path(__file__).resolve().parents[2]
    return str(root) if (root / "pyproject.toml").is_file() else "neuromorph"


#: the exact install command of the peer's environment
INSTALL = (f"python -m venv /tmp/venv-brian2 && /tmp/venv-brian2/bin/pip install -e '{_source_tree()}[bench]' "
           "and run /tmp/venv-brian2/bin/neuromorph bench step --peer brian2")
METHODS = ("euler", "exact")
TARGETS = ("numpy", "cython")


def require_brian2() -> str:
    """Brian2's version; ``InvalidParameterError`` naming ``--peer``, the ``bench`` extra and the
    exact install command when it cannot be imported (exit 2 before any work)."""
    try:
        import brian2
    except Exception as exc:  # ImportError, or Brian2 failing on an unsupported NumPy
        raise InvalidParameterError(
            f"--peer brian2: Brian2 cannot be imported here ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            f"it needs NumPy < 2.4, so install the `bench` extra in its own virtual environment: {INSTALL}",
            option="--peer") from None
    return brian2.__version__


def chain_equations(capacities, couplings) -> str:
    """Brian2 equations of the chain (dimensionless u_k, time in seconds, one time unit = 1 s)."""
    c = [float(x) for x in capacities]
    g = [float(x) for x in couplings]
    m = len(c)
    lines = []
    for k in range(m):
        terms = []
        if k > 0:
            terms.append(f"{g[k - 1]!r}*(u{k} - u{k + 1})")
        if k < m - 1:
            terms.append(f"{g[k]!r}*(u{k + 2} - u{k + 1})")
        elif g[k] > 0:
            terms.append(f"-{g[k]!r}*u{k + 1}")
        body = " + ".join(terms) if terms else "0"
        lines.append(f"du{k + 1}/dt = ({body})/({c[k]!r}*second) : 1")
    return "\n".join(lines)


def exact_reference(propagator: np.ndarray, events: np.ndarray) -> np.ndarray:
    """u (n, m) after ``len(events)`` exact steps from 0: u ← P u then u_1 += α_t (events (T, n))."""
    u = np.zeros((events.shape[1], propagator.shape[0]))
    for alpha in events:
        u = u @ propagator.T
        u[:, 0] += alpha
    return u


def _child(conn, capacities, couplings, dt, events, steps, method, target, subset, exact, substeps, rounds) -> None:
    try:
        import brian2 as b2

        b2.prefs.codegen.target = target
        b2.prefs.logging.console_log_level = "ERROR"
        if target == "cython":
            b2.prefs.codegen.runtime.cython.cache_dir = tempfile.mkdtemp(prefix="neuromorph-brian2-cython-")
        b2.defaultclock.dt = dt / substeps * b2.second
        n, m = events.shape[1], len(capacities)
        start = time.perf_counter()
        if substeps == 1:  # events after each step's state update
            table = b2.TimedArray(events, dt=dt * b2.second)
            first, when, clock_dt = steps * dt, "end", None
        else:  # at the start of step k (k >= 1), the event of step k - 1; one extra substep at the end
            table = b2.TimedArray(np.vstack([np.zeros((1, n)), events]), dt=dt * b2.second)
            first, when, clock_dt = steps * dt + dt / substeps, "start", dt * b2.second
        group = b2.NeuronGroup(n, chain_equations(capacities, couplings), method=method, namespace={"alpha": table})
        group.run_regularly("u1 += alpha(t, i)", dt=clock_dt, when=when)
        net = b2.Network(group)
        net.run(first * b2.second)
        first_s = time.perf_counter() - start
        u = np.stack([np.asarray(getattr(group, f"u{k + 1}")[:subset]) for k in range(m)], axis=1)
        # Brian2 prepares every run (code objects, namespaces) before stepping: time runs of `steps`
        # and of 2 x `steps` steps (best of `rounds` each); the difference is `steps` steps without
        # that overhead. Past the end of the events the TimedArray repeats its last row: same work.
        best = {1: float("inf"), 2: float("inf")}
        for _ in range(rounds):
            for factor in (1, 2):
                start = time.perf_counter()
                net.run(factor * steps * dt * b2.second)
                best[factor] = min(best[factor], time.perf_counter() - start)
        per_step = (best[2] - best[1]) / steps
        error = float(np.max(np.abs(u - exact)))
        if per_step <= 0:  # the overhead's jitter exceeds `steps` steps: no time can be given
            conn.send({"status": "unresolved", "max_abs_error": error, "note": (
                f"a run of {2 * steps} steps was not slower than one of {steps} ({best[2]:.3g} s vs {best[1]:.3g} s): "
                "Brian2's per-run overhead varies more than the steps cost; raise --peer-steps or --synapses")})
            return
        conn.send({"status": "ok", "seconds_per_step": per_step, "run_overhead_s": best[1] - steps * per_step,
                   "setup_s": max(0.0, first_s - steps * per_step), "max_abs_error": error})
    except BaseException as exc:  # report Brian2's own refusal, whatever its type
        lines = [line for line in traceback.format_exception_only(type(exc), exc) if line.strip()]
        cause = exc.__cause__
        while cause is not None:
            lines = [line for line in traceback.format_exception_only(type(cause), cause) if line.strip()]
            cause = cause.__cause__
        conn.send({"status": "refused", "note": " ".join(x.strip() for x in lines)[:400]})
    finally:
        conn.close()


def run_case(capacities, couplings, dt: float, events: np.ndarray, steps: int, method: str, target: str,
             subset: int, exact: np.ndarray, timeout_s: float, substeps: int = 1, rounds: int = 3) -> dict:
    """Run one Brian2 case (method × target, ``substeps`` Brian2 steps of dt/substeps per step dt)
    in a child process with a time limit; returns its record: status 'ok' (seconds_per_step — per
    step dt, all substeps included —, setup_s, max_abs_error), 'refused' (Brian2's message) or
    'timeout'. ``events`` has 4 × ``steps`` rows (the first ``steps`` are checked against
    ``exact``, the others are timed; past them the last row repeats). With substeps > 1 the events are applied at the start
    of the next step and the check happens one substep after step ``steps``:
    ``exact`` must then be :func:`exact_reference` advanced by expm(A dt/substeps)."""
    context = multiprocessing.get_context("fork")  # the child inherits the events, no copy through a pipe
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, list(capacities), list(couplings), dt, events, steps,
                                                 method, target, subset, exact, substeps, rounds), daemon=True)
    start = time.perf_counter()
    child.start()
    send.close()
    result = None
    if receive.poll(timeout_s):
        try:
            result = receive.recv()
        except EOFError:
            result = {"status": "refused", "note": "the Brian2 process ended without a result"}
    child.join(timeout=5.0)
    if child.is_alive():
        child.kill()
        child.join()
    if result is None:
        result = {"status": "timeout",
                  "note": f"Brian2 did not finish code generation and {(1 + 3 * rounds) * steps} steps within {timeout_s:g} s"}
    result.update({"method": method, "target": target, "substeps": substeps, "wall_s": time.perf_counter() - start})
    return result
