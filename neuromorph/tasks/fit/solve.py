"""Least-squares fit of dotted card fields to measured traces, with standard errors, correlations
and identifiability warnings.

Model and statistics
    residual r_j = (G_model(t_j; θ) − G_data(t_j)) / s over every sample of every trace, with one
    scale s (the data's overall standard deviation, only for conditioning). Positive parameters are
    fitted as θ = log p (so they stay positive; bounds p_start·10^±4, physics: conductances,
    capacities, lengths and D are > 0); signed ones (transfer u_low/u_high/u_mid, bounds) linearly.
    ``scipy.optimize.least_squares`` (trust-region reflective) minimises Σ r_j².
    At the optimum the Jacobian J = ∂r/∂θ (central differences) gives the covariance
    cov(θ) = σ̂² (JᵀJ)⁻¹ with σ̂² = Σ r_j² / (n − p) (Gauss–Newton / asymptotic normal theory;
    the noise is assumed independent and of one size across samples). For log-parameters
    SE(p) = p·SE(θ) and the 95 % interval is p·exp(±1.96·SE(θ)) (asymmetric, positive).

Identifiability
    The singular values of J with unit-norm columns show which directions of θ the data do not
    constrain: a relative singular value below 1e-3, or a correlation |ρ| > 0.995, is reported with
    the direction (for log-parameters: the exponents of the parameter combination that stays
    undetermined) and, for the known degeneracies of the proton-transistor card, the measurement
    that separates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.optimize
import xarray as xr

from ...config.measurement_schema import Measurement
from ...config.device_schema import DeviceCard
from ...config.yamlio import CardSource, read_card, validate_card
from ...errors import InvalidParameterError
from .forward import build_from_data, predict_traces, trace_drive
from .paths import path_problem, value_at, with_value

__all__ = ["FitParameter", "FitResult", "fit_measurements", "SIGNED_FIELDS", "Z_95"]

#: fields that may be negative or zero (fitted linearly)
SIGNED_FIELDS = {"u_low", "u_high", "u_mid", "lower", "upper"}
Z_95 = 1.959963984540054
LOG_BOUND = np.log(1e4)
RELATIVE_SINGULAR_LIMIT = 1e-3
CORRELATION_LIMIT = 0.995


@dataclass(frozen=True)
class FitParameter:
    path: str
    start: float
    value: float
    standard_error: float      # of the value, SI
    ci_low: float
    ci_high: float
    log_scale: bool

    @property
    def relative_error(self) -> float:
        return self.standard_error / abs(self.value) if self.value else float("inf")


@dataclass
class FitResult:
    base_path: Path
    measurement: Measurement
    parameters: list[FitParameter]
    correlation: np.ndarray
    fitted_data: dict                       # the base card's merged data with the fitted values
    predictions: list[np.ndarray]           # per trace [S]
    start_predictions: list[np.ndarray]
    rms_residual_s: float
    reduced_chi2: float                     # Σr²/(n−p) in units of the scale s (≈ σ_noise²/s²)
    n_points: int
    cost_evaluations: int
    warnings: list[str] = field(default_factory=list)
    converged: bool = True
    message: str = ""

    def dataset(self) -> xr.Dataset:
        """Data, fit and residual per sample; parameter table; correlation matrix."""
        traces = self.measurement.traces
        trace_index = np.concatenate([np.full(t.n_points, i) for i, t in enumerate(traces)])
        time = np.concatenate([t.time_s for t in traces])
        data = np.concatenate([t.conductance_s for t in traces])
        fit = np.concatenate(self.predictions)
        start = np.concatenate(self.start_predictions)
        paths = [p.path for p in self.parameters]
        attrs = {"base_card": str(self.base_path), "data_file": str(self.measurement.path),
                 "data_sha256": self.measurement.sha256, "sidecar": str(self.measurement.sidecar),
                 "sidecar_sha256": self.measurement.sidecar_sha256, "rms_residual_S": self.rms_residual_s,
                 "n_points": self.n_points, "n_parameters": len(paths), "converged": int(self.converged),
                 "warnings": "\n".join(self.warnings)}
        return xr.Dataset(
            {
                "time": ("sample", time, {"units": "s", "long_name": "time since the trace started"}),
                "trace": ("sample", np.array([traces[i].name for i in trace_index]), {"long_name": "trace name"}),
                "measured": ("sample", data, {"units": "S", "long_name": "measured conductance"}),
                "fitted": ("sample", fit, {"units": "S", "long_name": "fitted model conductance"}),
                "start": ("sample", start, {"units": "S", "long_name": "model conductance before the fit"}),
                "residual": ("sample", data - fit, {"units": "S", "long_name": "measured - fitted"}),
                "value": ("parameter", [p.value for p in self.parameters], {"long_name": "fitted value (SI)"}),
                "start_value": ("parameter", [p.start for p in self.parameters], {"long_name": "start value (SI)"}),
                "standard_error": ("parameter", [p.standard_error for p in self.parameters]),
                "ci95_low": ("parameter", [p.ci_low for p in self.parameters]),
                "ci95_high": ("parameter", [p.ci_high for p in self.parameters]),
                "correlation": (("parameter", "parameter_2"), self.correlation),
            },
            coords={"parameter": paths, "parameter_2": paths},
            attrs=attrs,
        )

    def report(self) -> str:
        """The table a user reads: value ± SE, 95 % interval, correlations, warnings."""
        lines = [f"fit of {len(self.parameters)} parameter(s) to {self.n_points} points in "
                 f"{len(self.measurement.traces)} trace(s) of {self.measurement.path}",
                 f"  rms residual {self.rms_residual_s:.4g} S"
                 f" ({100 * self.rms_residual_s / _data_span(self.measurement):.3g} % of the data range)"
                 f"{'' if self.converged else '  (NOT CONVERGED: ' + self.message + ')'}",
                 f"  {'parameter':<34} {'start':>11} {'fitted':>11} {'std.err.':>10} {'95% interval':>25}"]
        for p in self.parameters:
            if np.isfinite(p.standard_error):
                lines.append(f"  {p.path:<34} {p.start:>11.4g} {p.value:>11.4g} {p.standard_error:>10.3g} "
                             f"  [{p.ci_low:.4g}, {p.ci_high:.4g}]")
            else:
                lines.append(f"  {p.path:<34} {p.start:>11.4g} {p.value:>11.4g} {'-':>10}   undetermined (see warning)")
        if len(self.parameters) > 1:
            lines.append("  correlations:")
            for i, a in enumerate(self.parameters):
                for j in range(i + 1, len(self.parameters)):
                    lines.append(f"    {a.path} ~ {self.parameters[j].path}: {self.correlation[i, j]:+.3f}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _data_span(measurement: Measurement) -> float:
    data = np.concatenate([t.conductance_s for t in measurement.traces])
    span = float(data.max() - data.min())
    return span if span > 0 else float(abs(data).max() or 1.0)


def fit_measurements(base_card: str | Path, measurement: Measurement, free: list[str],
                     max_evaluations: int = 2000) -> FitResult:
    """Fit the ``free`` dotted fields of ``base_card`` to every trace of ``measurement`` at once."""
    base_path = Path(base_card)
    source = read_card(base_path)
    if not free:
        raise InvalidParameterError("--free: give at least one dotted card field to fit, e.g. "
                                    "--free diffusion_coefficient,gate.injection_conductance")
    if len(set(free)) != len(free):
        raise InvalidParameterError(f"--free: a field is listed twice ({', '.join(free)})")
    problems = [f"--free {p}: {why}" for p in free if (why := path_problem(source.data, p))]
    if problems:
        raise InvalidParameterError("\n".join(problems))
    base_device = build_from_data(source.data, base_path, source.lines, base_path.stem)
    n = measurement.n_points
    if n <= len(free):
        raise InvalidParameterError(f"{measurement.path}: {n} data points for {len(free)} free parameters; a fit needs "
                                    f"more points than parameters (free fewer fields or add samples)")
    card = _validated(source.data, base_path, source.lines)
    start = np.array([value_at(card, p) for p in free])
    log_scale = np.array([p.split(".")[-1] not in SIGNED_FIELDS and v > 0 for p, v in zip(free, start)])
    x0 = np.where(log_scale, np.log(np.where(log_scale, start, 1.0)), start)
    span = np.maximum(np.abs(start), 1e-12)
    lower = np.where(log_scale, x0 - LOG_BOUND, start - 1e4 * span)
    upper = np.where(log_scale, x0 + LOG_BOUND, start + 1e4 * span)
    traces = measurement.traces
    drives = [trace_drive(t.drive) for t in traces]
    data = np.concatenate([t.conductance_s for t in traces])
    scale = float(np.std(data)) or float(np.abs(data).max()) or 1.0
    predict_traces(base_device, traces, drives)  # a device the drives cannot run is refused now

    def values(x):
        return np.where(log_scale, np.exp(x), x)

    def card_data(x):
        data_x = source.data
        for path, v in zip(free, values(x)):
            data_x = with_value(data_x, path, float(v))
        return data_x

    def predict(x):
        device = build_from_data(card_data(x), base_path, source.lines, base_path.stem)
        return predict_traces(device, traces, drives)

    def residuals(x):
        try:
            return (np.concatenate(predict(x)) - data) / scale
        except (ValueError, InvalidParameterError):  # an unphysical trial point: push the solver back
            return np.full(n, 1e6)

    solution = scipy.optimize.least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac", method="trf",
                                            max_nfev=max_evaluations, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    x = solution.x
    r = residuals(x)
    jac = _central_jacobian(residuals, x, lower, upper)
    dof = n - len(free)
    sigma2 = float(r @ r) / dof
    covariance, singular, directions = _covariance(jac, sigma2)
    warnings, undetermined = _identifiability_warnings(free, log_scale, jac, singular, directions, source.data)
    se_x = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    se_x[list(undetermined)] = np.inf  # a direction the data do not constrain: no finite error bar
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(se_x, se_x)
    correlation = np.where(np.isfinite(correlation), correlation, np.nan)
    fitted = values(x)
    parameters = []
    for i, path in enumerate(free):
        if log_scale[i]:
            se = fitted[i] * se_x[i]
            lo, hi = ((fitted[i] * np.exp(-Z_95 * se_x[i]), fitted[i] * np.exp(Z_95 * se_x[i]))
                      if Z_95 * se_x[i] < 700.0 else (0.0, np.inf))
        else:
            se = se_x[i]
            lo, hi = fitted[i] - Z_95 * se, fitted[i] + Z_95 * se
        parameters.append(FitParameter(path, float(start[i]), float(fitted[i]), float(se), float(lo), float(hi),
                                       bool(log_scale[i])))
    warnings += _correlation_warnings(free, correlation, source.data, undetermined)
    at_bound = [free[i] for i in range(len(free)) if min(x[i] - lower[i], upper[i] - x[i]) < 1e-6 * (1 + abs(x[i]))]
    if at_bound:
        warnings.append(f"{', '.join(at_bound)} ended at the search bound (start ×10^±4 or ±10^4·|start|); the start "
                        f"value is far off or the data do not constrain it")
    predictions = predict(x)
    residual_s = np.concatenate(predictions) - data
    return FitResult(base_path=base_path, measurement=measurement, parameters=parameters, correlation=correlation,
                     fitted_data=card_data(x), predictions=predictions, start_predictions=predict(x0),
                     rms_residual_s=float(np.sqrt(np.mean(residual_s**2))), reduced_chi2=sigma2, n_points=n,
                     cost_evaluations=int(solution.nfev), warnings=warnings, converged=bool(solution.status > 0),
                     message=str(solution.message))


def _validated(data, path, lines):
    return validate_card(CardSource(path=Path(path), data=data, lines=lines), DeviceCard)


def _central_jacobian(fun, x, lower, upper, step=1e-5) -> np.ndarray:
    """∂r/∂θ by central differences (one-sided at a bound), step 1e-5 in θ."""
    columns = []
    for i in range(x.size):
        h = step * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] = min(x[i] + h, upper[i])
        down[i] = max(x[i] - h, lower[i])
        columns.append((fun(up) - fun(down)) / (up[i] - down[i]))
    return np.column_stack(columns)


def _covariance(jac: np.ndarray, sigma2: float):
    """cov = σ̂² (JᵀJ)⁻¹ via the SVD of J (pseudo-inverse where singular); also the singular
    values and right singular vectors of J with unit-norm columns."""
    norms = np.linalg.norm(jac, axis=0)
    safe = np.where(norms > 0, norms, 1.0)
    _, s, vt = np.linalg.svd(jac / safe, full_matrices=False)
    cutoff = 1e-12 * s.max() if s.size and s.max() > 0 else 0.0
    inv = np.where(s > cutoff, 1.0 / np.where(s > 0, s, 1.0) ** 2, np.inf)
    with np.errstate(invalid="ignore"):
        cov_scaled = (vt.T * np.where(np.isfinite(inv), inv, 1e300)) @ vt
    cov = sigma2 * cov_scaled / np.outer(safe, safe)
    cov[:, norms == 0] = np.inf
    cov[norms == 0, :] = np.inf
    return cov, s, vt


def _identifiability_warnings(free, log_scale, jac, singular, directions, base_data) -> tuple[list[str], set[int]]:
    """Warnings about directions the data do not constrain, and the indices of the parameters involved."""
    warnings: list[str] = []
    undetermined: set[int] = set()
    norms = np.linalg.norm(jac, axis=0)
    for i in np.flatnonzero(norms == 0):
        undetermined.add(int(i))
        warnings.append(f"{free[i]} does not change the model at all for these traces: it cannot be fitted from them")
    if singular.size and singular.max() > 0:
        relative = singular / singular.max()
        for k in np.flatnonzero(relative < RELATIVE_SINGULAR_LIMIT):
            v = directions[k] / np.where(norms > 0, norms, 1.0)
            v = v / v[np.argmax(np.abs(v))]
            involved = [i for i in range(len(free)) if abs(v[i]) > 0.05]
            undetermined.update(involved)
            combo = _combination(free, log_scale, v, involved)
            warnings.append(f"the data cannot separate {', '.join(free[i] for i in involved)}: changing them along "
                            f"{combo} leaves the fit unchanged (relative singular value {relative[k]:.1e}); their "
                            f"standard errors and correlations are not meaningful. "
                            + _separating_measurement([free[i] for i in involved], base_data))
    return warnings, undetermined


def _correlation_warnings(free, correlation, base_data, undetermined) -> list[str]:
    warnings: list[str] = []
    n = len(free)
    for i in range(n):
        for j in range(i + 1, n):
            if i in undetermined or j in undetermined:
                continue
            if np.isfinite(correlation[i, j]) and abs(correlation[i, j]) > CORRELATION_LIMIT:
                warnings.append(f"{free[i]} and {free[j]} are almost fully correlated ({correlation[i, j]:+.4f}): "
                                f"the data barely separate them. "
                                + _separating_measurement([free[i], free[j]], base_data))
    return warnings


def _combination(free, log_scale, v, involved) -> str:
    parts = []
    for i in involved:
        name = f"log {free[i]}" if log_scale[i] else free[i]
        parts.append(f"{v[i]:+.2g}·{name}")
    return "δ(" + " ".join(parts) + ")"


def _separating_measurement(paths: list[str], base_data: dict) -> str:
    """What measurement would separate a degenerate set of proton-transistor parameters."""
    roots = {p.split(".")[0] for p in paths}
    leaves = {p.split(".")[-1] for p in paths}
    geometric = base_data.get("capacity", "geometry") == "geometry"
    hints = []
    if "diffusion_coefficient" in roots and ({"diffusion_length", "bridge_cross_section"} & roots or
                                             "capacity" in roots):
        if geometric and "diffusion_length" in roots:
            hints.append("For geometric compartments τ_k = C_k/g_k = L_k²/D, so relaxation alone fixes only L²/D; "
                         "an independent measurement of the storage capacitance C_1 = c_v·A·L (impedance or cyclic "
                         "voltammetry of the compartment) or of D (e.g. a bridge of known length) separates L from D.")
        else:
            hints.append("Relaxation fixes the stage time constants C_k/g_k only; an independent capacitance "
                         "measurement of the compartments separates the capacity from the bridge conductance "
                         "g_k = c_v·D·A_k/L_k.")
    if "gate" in roots and "injection_conductance" in leaves:
        hints.append("A write fixes only g_gate·V·w/C_1 (the change of u_1 per pulse); integrating the gate current "
                     "during a write (charge Q = g_gate·V·w) or measuring C_1 separates g_gate from the capacity.")
    if "channel" in roots:
        hints.append("The channel range and the storage response trade off; a transfer curve (conductance versus a "
                     "known, held gate voltage) fixes the channel separately.")
    if not hints:
        hints.append("Add a trace that depends on them differently (another on-fraction, a longer relaxation, "
                     "a depression ramp) or fix one of them in the card.")
    return " ".join(hints)
