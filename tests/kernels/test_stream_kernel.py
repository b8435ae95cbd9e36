"""The STREAM-style bandwidth pass against its NumPy reference."""

import numpy as np
import pytest

from neuromorph.kernels.stream import stream_bytes, stream_pass, stream_pass_reference


@pytest.mark.parametrize("build", ["serial", "parallel"])
def test_stream_pass_matches_reference(build):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(101, 7))
    alpha = rng.normal(size=101)
    z_ref, w_ref, w = z.copy(), np.empty(101), np.empty(101)
    getattr(stream_pass, build)(z, 0.999, alpha, w)
    stream_pass_reference(z_ref, 0.999, alpha, w_ref)
    # exact: one IEEE multiply per element, one copy
    np.testing.assert_array_equal(z, z_ref)
    np.testing.assert_array_equal(w, w_ref)


def test_stream_bytes_count_state_read_write_event_and_weight():
    # N = 1e6, m = 10: z read + written (160 MB), alpha read and w written (16 MB)
    assert stream_bytes(1_000_000, 10) == 176_000_000
