"""Run ngspice in batch mode and read its results into numpy arrays.

:func:`run_deck` writes the deck to a working directory, runs
``ngspice -b deck.cir`` there, checks the exit status and the log for errors,
and parses every SPICE raw file the deck wrote (``write <file>`` in its
``.control`` block; ASCII raw files carry 16 significant digits, binary ones
the exact binary64 values -- both are read).  Vector names are normalised to
ngspice's lower-case form: ``time``, ``v(<node>)`` for node voltages (in V)
and ``i(<vsource>)`` for voltage-source branch currents (in A, positive when
flowing into the source's + terminal).

Set the environment variable ``NEUROMORPH_NGSPICE`` to use an executable that
is not on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import errors

__all__ = [
    "NgspiceError",
    "NgspiceNotFound",
    "NgspiceResult",
    "RawPlot",
    "crossbar_currents",
    "find_ngspice",
    "ladder_waveforms",
    "parse_raw",
    "run_deck",
]

INSTALL_HINT = "install it with `apt-get install ngspice` (Debian/Ubuntu) or your OS's package"


class NgspiceNotFound(errors.NgspiceError):
    """The ngspice executable is not available."""

    def __init__(self, message: str | None = None):
        super().__init__(message or f"ngspice executable not found: {INSTALL_HINT}")


class NgspiceError(errors.NgspiceError):
    """ngspice failed; the message carries the tail of its output and the deck path."""

    def __init__(self, reason: str, log: str = "", deck_path: Path | None = None, tail_lines: int = 30):
        tail = "\n".join(log.rstrip().splitlines()[-tail_lines:])
        msg = f"ngspice failed: {reason}\n  deck: {deck_path}\n  last lines of ngspice output:\n{tail}"
        super().__init__(msg)
        self.reason = reason
        self.log = log
        self.deck_path = deck_path


def find_ngspice() -> str | None:
    """Path of the ngspice executable (``$NEUROMORPH_NGSPICE`` or ``PATH``), or ``None``."""
    env = os.environ.get("NEUROMORPH_NGSPICE")
    if env:
        p = shutil.which(env)
        return p
    return shutil.which("ngspice")


# --------------------------------------------------------------------------- #
# raw files
# --------------------------------------------------------------------------- #
@dataclass
class RawPlot:
    """One plot (analysis result) of a SPICE raw file."""

    title: str
    plotname: str
    flags: str
    vectors: dict[str, np.ndarray]
    types: dict[str, str]


def _normalise_name(name: str, vtype: str) -> str:
    n = name.strip().lower()
    m = re.fullmatch(r"(.+)#branch", n)
    if m:
        return f"i({m.group(1)})"
    if vtype == "voltage" and not re.fullmatch(r"v\(.*\)", n):
        return f"v({n})"
    if vtype == "current" and not re.fullmatch(r"i\(.*\)", n):
        return f"i({n})"
    return n


def parse_raw(path: Path | str) -> list[RawPlot]:
    """Parse a SPICE raw file (ASCII or binary, real or complex, several plots)."""
    data = Path(path).read_bytes()
    plots: list[RawPlot] = []
    pos = 0
    while pos < len(data):
        # skip blank space between plots
        while pos < len(data) and data[pos : pos + 1] in (b"\n", b"\r", b" ", b"\t"):
            pos += 1
        if pos >= len(data):
            break
        header: dict[str, str] = {}
        varnames: list[tuple[str, str]] = []
        nvars = npoints = None
        mode = None
        while pos < len(data):
            end = data.find(b"\n", pos)
            if end < 0:
                end = len(data)
            line = data[pos:end].decode("latin-1").rstrip("\r")
            pos = end + 1
            if not line.strip():
                continue
            key, _, rest = line.partition(":")
            k = key.strip().lower()
            if k == "variables":
                if nvars is None:
                    raise ValueError(f"{path}: 'Variables:' before 'No. Variables:'")
                first = rest.strip()
                entries = [first] if first else []
                while len(entries) < nvars:
                    end = data.find(b"\n", pos)
                    if end < 0:
                        end = len(data)
                    ln = data[pos:end].decode("latin-1").strip()
                    pos = end + 1
                    if ln:
                        entries.append(ln)
                for e in entries:
                    parts = e.split()
                    varnames.append((parts[1], parts[2] if len(parts) > 2 else "notype"))
                continue
            if k in ("values", "binary"):
                mode = k
                break
            header[k] = rest.strip()
            if k == "no. variables":
                nvars = int(rest)
            elif k == "no. points":
                npoints = int(rest)
        if mode is None or nvars is None or npoints is None:
            raise ValueError(f"{path}: incomplete raw-file header {header}")
        flags = header.get("flags", "real").lower()
        is_complex = "complex" in flags
        ncomp = 2 if is_complex else 1
        if mode == "binary":
            nbytes = 8 * ncomp * nvars * npoints
            arr = np.frombuffer(data[pos : pos + nbytes], dtype="<f8")
            if arr.size * 8 != nbytes:
                raise ValueError(f"{path}: truncated binary data")
            pos += nbytes
            arr = arr.reshape(npoints, nvars, ncomp)
        else:
            # ASCII: "<index>\t<v0>\n\t<v1>\n..." ; complex values as "re,im"
            tokens: list[str] = []
            need = npoints * (nvars + 1)
            while len(tokens) < need and pos < len(data):
                end = data.find(b"\n", pos)
                if end < 0:
                    end = len(data)
                tokens.extend(data[pos:end].decode("latin-1").split())
                pos = end + 1
            if len(tokens) < need:
                raise ValueError(f"{path}: truncated ASCII data ({len(tokens)} of {need} tokens)")
            tok = np.array(tokens[:need], dtype=object).reshape(npoints, nvars + 1)[:, 1:]
            if is_complex:
                flat = [t.split(",") for t in tok.ravel()]
                arr = np.array(flat, dtype=float).reshape(npoints, nvars, 2)
            else:
                arr = tok.astype(float).reshape(npoints, nvars, 1)
        vals = arr[..., 0] + 1j * arr[..., 1] if is_complex else arr[..., 0]
        vectors: dict[str, np.ndarray] = {}
        types: dict[str, str] = {}
        for idx, (name, vtype) in enumerate(varnames):
            key = _normalise_name(name, vtype.lower())
            vectors[key] = np.array(vals[:, idx])
            types[key] = vtype.lower()
        plots.append(
            RawPlot(
                title=header.get("title", ""),
                plotname=header.get("plotname", ""),
                flags=flags,
                vectors=vectors,
                types=types,
            )
        )
    return plots


# --------------------------------------------------------------------------- #
# running
# --------------------------------------------------------------------------- #
@dataclass
class NgspiceResult:
    """Vectors and log of one ngspice run.

    ``vectors`` maps normalised names (``time``, ``v(n1)``, ``i(vsense_0)``)
    to numpy arrays (length 1 for ``.op``); later plots override earlier ones
    with the same name.  ``plots`` keeps every plot of every raw file.
    """

    vectors: dict[str, np.ndarray]
    log: str
    plots: list[RawPlot] = field(default_factory=list)
    deck_path: Path | None = None
    elapsed_s: float = 0.0

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.strip().lower()
        if key not in self.vectors:
            sample = ", ".join(list(self.vectors)[:10])
            raise KeyError(f"no vector {name!r} in ngspice result (have e.g. {sample})")
        return self.vectors[key]

    def __contains__(self, name: str) -> bool:
        return name.strip().lower() in self.vectors


_ERROR_PATTERNS = re.compile(
    r"(^\s*error\b|\berror on line\b|\bfatal\b|simulation interrupted|"
    r"simulation\(s\) aborted|timestep too small|singular matrix|"
    r"\bno such (vector|command)\b|\bunknown (subckt|parameter|model)\b)",
    re.IGNORECASE | re.MULTILINE,
)


def run_deck(deck: str, workdir: Path | str | None = None, timeout_s: float = 120) -> NgspiceResult:
    """Run ``ngspice -b`` on ``deck`` and parse the raw files it writes.

    Parameters
    ----------
    deck:
        Full deck text (e.g. from :mod:`neuromorph.spice.netlist`); its
        ``.control`` block must ``write`` a raw file into the working
        directory.
    workdir:
        Directory to run in (kept).  ``None``: a fresh temporary directory,
        removed after a successful run and kept (its path is in the error)
        after a failure.
    timeout_s:
        Wall-clock limit in seconds.

    Raises
    ------
    NgspiceNotFound
        No executable.
    NgspiceError
        Non-zero exit, timeout, an error message in the log (including
        "singular matrix" and "timestep too small"), or no raw file written.
    """
    exe = find_ngspice()
    if exe is None:
        raise NgspiceNotFound()
    own_dir = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="neuromorph-ngspice-")) if own_dir else Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    deck_path = wd / "deck.cir"
    if not deck.endswith("\n"):
        deck += "\n"
    deck_path.write_text(deck)
    before = {p.name: p.stat().st_mtime_ns for p in wd.glob("*.raw")}
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C")  # decimal points in numbers
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [exe, "-b", deck_path.name],
            cwd=wd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode("latin-1", "replace") if exc.stdout else ""
        raise NgspiceError(f"timed out after {timeout_s} s", out, deck_path) from None
    elapsed = time.perf_counter() - t0
    log = proc.stdout.decode("latin-1", "replace")
    if proc.returncode != 0:
        raise NgspiceError(f"exit status {proc.returncode}", log, deck_path)
    m = _ERROR_PATTERNS.search(log)
    if m:
        raise NgspiceError(f"error in output: {m.group(0).strip()!r}", log, deck_path)
    raws = sorted(
        (p for p in wd.glob("*.raw") if before.get(p.name) != p.stat().st_mtime_ns),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if not raws:
        raise NgspiceError("no raw file written (does the .control block `write` one?)", log, deck_path)
    plots: list[RawPlot] = []
    for p in raws:
        try:
            plots.extend(parse_raw(p))
        except ValueError as exc:
            raise NgspiceError(f"could not parse {p.name}: {exc}", log, deck_path) from None
    vectors: dict[str, np.ndarray] = {}
    for pl in plots:
        vectors.update(pl.vectors)
    result = NgspiceResult(
        vectors=vectors,
        log=log,
        plots=plots,
        deck_path=None if own_dir else deck_path,
        elapsed_s=elapsed,
    )
    if own_dir:
        shutil.rmtree(wd, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- #
# convenience
# --------------------------------------------------------------------------- #
def crossbar_currents(result: NgspiceResult, n_out: int) -> np.ndarray:
    """Sense currents ``i(vsense_0) .. i(vsense_<n_out-1>)`` in A, shape ``(n_out,)``.

    Positive = current flowing from the array into the sense amplifier, the
    convention of :func:`neuromorph.crossbar.irdrop.solve_read` (use
    ``n_out = N_in`` for a transposed-read deck).
    """
    out = np.empty(n_out)
    for k in range(n_out):
        vec = result[f"i(vsense_{k})"]
        out[k] = float(np.real(vec[-1]))
    return out


def ladder_waveforms(result: NgspiceResult, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``(t, V)``: time points (s, shape ``(T,)``) and node voltages ``V[k, :]`` of
    ``n1 .. nm`` (V, shape ``(m, T)``) from an RC-ladder transient."""
    t = np.real(result["time"]).astype(float)
    V = np.stack([np.real(result[f"v(n{k + 1})"]).astype(float) for k in range(m)])
    return t, V
