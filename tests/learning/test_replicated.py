"""m cells per weight (``cells_per_weight``, the matched-variables baseline of Benna & Fusi 2016):
a learned matrix stored on m independent arrays, read as their mean, every replica written with
the same intended update and its own pulse draws.

Checked against things that do not use the replicated code: (1) with deterministic pulse counts
and no read noise, m identical arrays are one array — every replica's weights bit for bit equal
to the single array's after the same writes, and the mean read equal to the single read up to
the rounding of the m-term sum; (2) with the stochastic scheme (Gokmen & Vlasov 2016) the count
of one cell is Binomial(BL, p q), so one array's weight change has mean η x δ and variance
BL·pq(1 − pq)·Δw_min², and the mean of m independent replicas has the same mean and 1/m of that
variance."""

from pathlib import Path

import numpy as np
import pytest

from neuromorph.crossbar import CrossbarArray, load_crossbar
from neuromorph.learning import RuleSettings
from neuromorph.learning.replicated import ReplicatedTile, replica_seed
from neuromorph.learning.tiles import TileCounters, TileMatrix, TileNetwork
from neuromorph.tasks.datasets import load_digits

ROOT = Path(__file__).resolve().parents[2]
QUIET = """kind: crossbar
name: quiet_single
base: {base}
read_noise: {{cell: 0, output: 0 A}}
write: {{scheme: {scheme}, bit_length: 31, learning_rate: 0.1}}
"""


def _config(tmp_path, scheme: str, rows: int, columns: int):
    path = tmp_path / f"quiet_{scheme}.yaml"
    path.write_text(QUIET.format(base=ROOT / "circuits" / "crossbar_compare_single.yaml", scheme=scheme))
    return load_crossbar(path, rows=rows, columns=columns)


def _tile(config, seeds, counters=None):
    counters = counters or TileCounters()
    tiles = [TileMatrix(CrossbarArray(config, seed=s), counters, 0.0, noise=False) for s in seeds]
    return tiles[0] if len(tiles) == 1 else ReplicatedTile(tiles)


def test_identical_noise_free_replicas_with_deterministic_writes_are_one_array(tmp_path):
    config = _config(tmp_path, "deterministic", 12, 6)
    rng = np.random.default_rng(1)
    start = rng.uniform(-0.5, 0.5, (12, 6))
    one = _tile(config, [0])
    many = _tile(config, [replica_seed(0, k) for k in range(4)])
    one.set_weights(start)
    many.set_weights(start)
    for _ in range(5):
        v, u = rng.normal(size=(7, 12)), rng.normal(size=(7, 6))
        # mean of 4 identical float64 values: exact up to the rounding of the 4-term sum (≤ 2 ulp)
        np.testing.assert_allclose(many.right(v), one.right(v), rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(many.left(u), one.left(u), rtol=1e-15, atol=1e-15)
        p, q = rng.normal(size=(3, 12)), 0.05 * rng.normal(size=(3, 6))
        one.write(p, q, 0.3)
        many.write(p, q, 0.3)
        for replica in many.replicas:       # same counts, same device: bit for bit the single array
            np.testing.assert_array_equal(replica.value(), one.value())
    assert not np.allclose(one.value(), start)                    # the writes did change the weights


def test_replicated_network_with_identical_replicas_trains_like_one_array(tmp_path):
    """A whole TileNetwork (BP, 2 epochs' worth of batches): m = 3 identical replicas per matrix
    give the single-array network's outputs (to 1e-12 relative: the 3-term means' rounding, fed
    through training) and its counters times 3 (reads, writes, pulses; device time unchanged)."""
    configs = {}

    def factory(m):
        def make(name, rows, columns, seed):
            key = (rows, columns)
            if key not in configs:
                configs[key] = _config(tmp_path, "deterministic", rows, columns)
            arrays = [CrossbarArray(configs[key], seed=replica_seed(seed, k)) for k in range(m)]
            return (arrays if m > 1 else arrays[0]), {"noise": False}
        return make

    data = load_digits()
    settings = RuleSettings("bp", learning_rate=0.3, momentum=0.0, weight_decay=0.0)
    one = TileNetwork([64, 16, 10], settings, factory(1), seed=0)
    three = TileNetwork([64, 16, 10], settings, factory(3), seed=0)
    assert len(three.arrays()) == 3 * len(one.arrays())
    for i in range(0, 640, 64):
        x, y = data.x_train[i: i + 64], data.y_train[i: i + 64]
        assert one.train_batch(x, y, 0)[1] == three.train_batch(x, y, 0)[1]
    for name, w in one.weights().items():
        np.testing.assert_allclose(three.weights()[name], w, rtol=1e-12, atol=1e-12)
    a, b = one.counters.as_dict(), three.counters.as_dict()
    for key in ("reads", "writes", "pulses"):
        assert b[key] == 3 * a[key], key
    assert b["read_energy_j"] == pytest.approx(3 * a["read_energy_j"], rel=1e-9)
    assert three.device_time_s() == one.device_time_s()
    # checkpoint round trip: every replica's state comes back
    state = three.state()
    other = TileNetwork([64, 16, 10], settings, factory(3), seed=0)
    other.load_state(state)
    for name, w in three.weights().items():
        np.testing.assert_array_equal(other.weights()[name], w)


@pytest.mark.parametrize("m", [4, 8])
def test_variance_of_a_stochastic_write_shrinks_as_one_over_m(tmp_path, m):
    """One stochastic rank-1 write of η x δᵀ with x = δ = 1 (every pulse probability C = 1/2, so
    pq = 1/4 and E[n] = BL/4 = 7.75 pulses) from w = 0 on a 32 × 32 tile, repeated T = 150 times.
    The diagonal cells (i, i) use 32 distinct row and column streams, so they are independent:
    4800 samples per estimate. Sample variance of a sum of Bernoullis: relative standard error
    ≈ √(2/N) = 2 %; tolerances 10 % on each variance (5 σ) and on the 1/m scaling."""
    n, trials = 32, 150
    config = _config(tmp_path, "stochastic", n, n)
    one = _tile(config, [11])
    many = _tile(config, [replica_seed(11, k) for k in range(m)])
    dw, bl = one.array.delta_w_min, one.array.bit_length
    eta = 0.25 * bl * dw                                   # C² = η/(BL·Δw_min) = 1/4
    p, q = np.ones((1, n)), -np.ones((1, n))               # ΔM = −η pᵀq = +η everywhere
    zero = np.zeros((n, n))
    samples = {1: [], m: []}
    for _ in range(trials):
        for key, tile in ((1, one), (m, many)):
            tile.set_weights(zero)
            before = tile.value().diagonal().copy()
            tile.write(p, q, eta)
            samples[key].append(tile.value().diagonal() - before)
    decay = np.exp(-one.array.t_update / 100.0)            # τ = 100 s over the one update slot
    expected_var = bl * 0.25 * 0.75 * dw**2 * decay**2
    d1, dm = np.concatenate(samples[1]), np.concatenate(samples[m])
    assert d1.mean() == pytest.approx(eta * decay, rel=0.01)      # SE 0.35 % of the mean
    assert dm.mean() == pytest.approx(eta * decay, rel=0.01)
    assert d1.var() == pytest.approx(expected_var, rel=0.10)
    assert dm.var() == pytest.approx(expected_var / m, rel=0.10)
    assert d1.var() / dm.var() == pytest.approx(m, rel=0.15)     # both estimates' errors: 2 %·√2 each → 5 σ


def test_replica_seeds_are_distinct_and_the_first_is_the_tile_seed():
    seeds = [replica_seed(1003, k) for k in range(64)]
    assert seeds[0] == 1003 and len(set(seeds)) == 64
    assert replica_seed(1003, 5) == replica_seed(1003, 5)


def test_a_replicated_tile_needs_two_replicas_of_one_shape(tmp_path):
    small, big = _config(tmp_path, "deterministic", 4, 4), _config(tmp_path, "deterministic", 4, 5)
    counters = TileCounters()
    with pytest.raises(ValueError, match="at least 2 replicas"):
        ReplicatedTile([TileMatrix(CrossbarArray(small), counters, 0.0)])
    with pytest.raises(ValueError, match="one shape"):
        ReplicatedTile([TileMatrix(CrossbarArray(small), counters, 0.0), TileMatrix(CrossbarArray(big), counters, 0.0)])
