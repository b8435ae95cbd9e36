"""Pattern sources for the familiarity stream; every source can produce item number t of its
stream directly (blocks of items drawn from a generator seeded by (seed, stream, block)), so a
stream can be checkpointed and resumed and the same seed always gives the same items.

``rand``     i.i.d. ±1 patterns with P(+1) = ½ (the paper's random condition).
``genface``  face-statistics patterns (the paper's "genface" recipe, fitted offline to the 100
             LFW faces that ship with scikit-image, ``skimage.data.lfw_subset()``):
             1. the 100 faces (25×25 = 625 pixels) are whitened pixel-wise (each pixel z-scored
                over the faces);
             2. a Gaussian is fitted with their PCA spectrum: covariance V diag(λ) Vᵀ + λ_min·I
                (the 99 principal components of 100 faces, plus an isotropic floor at the smallest
                non-zero PCA variance so that every direction has variance);
             3. new vectors are sampled from it and each dimension is binarised by its median
                (0 for the fitted zero-mean Gaussian);
             4. a network of N ≤ 625 neurons uses N pixels spread evenly over the image.
             The real faces, binarised the same way by their own per-pixel medians, serve as
             test items (``real_faces``): the small demo probes real faces among genface fill-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...errors import DataUnavailableError, InvalidParameterError

__all__ = ["BLOCK", "PatternSource", "RandomPatterns", "GenfacePatterns", "lfw_faces", "LFW_PIXELS",
           "make_source"]

BLOCK = 1024
LFW_PIXELS = 625
_SOURCES = {"rand": 1, "genface": 2}


class PatternSource:
    """Items ``items(stream, start, count)`` (count, N) int8 ±1 of a numbered stream."""

    name = "source"
    description = ""

    def __init__(self, n_neurons: int, seed: int):
        self.n_neurons = int(n_neurons)
        self.seed = int(seed)
        self._cache: dict = {}

    def _block(self, stream: int, block: int) -> np.ndarray:
        raise NotImplementedError

    def items(self, stream: int, start: int, count: int) -> np.ndarray:
        """Items start … start+count−1 of stream ``stream``."""
        out = np.empty((count, self.n_neurons), dtype=np.int8)
        done = 0
        while done < count:
            index = start + done
            block, offset = divmod(index, BLOCK)
            take = min(BLOCK - offset, count - done)
            out[done:done + take] = self._cached_block(stream, block)[offset:offset + take]
            done += take
        return out

    def _cached_block(self, stream: int, block: int) -> np.ndarray:
        key = (stream, block)
        if key not in self._cache:
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self._block(stream, block)
        return self._cache[key]

    def _rng(self, stream: int, block: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, _SOURCES[self.name], stream, block]))


class RandomPatterns(PatternSource):
    name = "rand"
    description = "i.i.d. random +-1 patterns, P(+1) = 1/2"

    def _block(self, stream: int, block: int) -> np.ndarray:
        rng = self._rng(stream, block)
        return np.where(rng.random((BLOCK, self.n_neurons)) < 0.5, 1, -1).astype(np.int8)


def lfw_faces() -> np.ndarray:
    """The 100 LFW faces shipped with scikit-image, (100, 625) float in [0, 1]; offline."""
    try:
        from skimage import data
    except ImportError:
        raise DataUnavailableError("the LFW faces need scikit-image: pip install scikit-image") from None
    try:
        images = data.lfw_subset()
    except Exception as exc:  # noqa: BLE001 - any failure of the bundled data is a missing data set
        raise DataUnavailableError(f"skimage.data.lfw_subset() failed ({exc}); reinstall scikit-image") from None
    return images[:100].reshape(100, -1).astype(float)


@lru_cache(maxsize=4)
def _genface_model() -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(components (K, 625), PCA std devs (K,), isotropic floor std, whitened real faces (100, 625))."""
    faces = lfw_faces()
    mean = faces.mean(axis=0)
    std = faces.std(axis=0)
    white = (faces - mean) / std
    centred = white - white.mean(axis=0)
    _, sing, vt = np.linalg.svd(centred, full_matrices=False)
    variances = sing**2 / (faces.shape[0] - 1)
    keep = variances > variances[0] * 1e-10
    variances, vt = variances[keep], vt[keep]
    return vt, np.sqrt(variances), float(np.sqrt(variances[-1])), white


def _pixels(n_neurons: int) -> np.ndarray:
    if n_neurons > LFW_PIXELS:
        raise InvalidParameterError(f"neurons: the LFW face source has {LFW_PIXELS} pixels (25x25), so at most "
                                    f"{LFW_PIXELS} neurons; got {n_neurons}")
    return np.unique(np.round(np.linspace(0, LFW_PIXELS - 1, n_neurons)).astype(int))


class GenfacePatterns(PatternSource):
    name = "genface"
    description = ("genface: Gaussian with the PCA spectrum of the 100 pixel-whitened LFW faces of "
                   "skimage.data.lfw_subset() (+ isotropic floor), median-binarised")

    def __init__(self, n_neurons: int, seed: int):
        super().__init__(n_neurons, seed)
        self.pixels = _pixels(n_neurons)
        vt, scales, floor, white = _genface_model()
        self._vt, self._scales, self._floor = vt, scales, floor
        real = white[:, self.pixels]
        self.real = np.where(real > np.median(real, axis=0), 1, -1).astype(np.int8)

    def _block(self, stream: int, block: int) -> np.ndarray:
        rng = self._rng(stream, block)
        coeff = rng.standard_normal((BLOCK, self._scales.size)) * self._scales
        sample = coeff @ self._vt[:, self.pixels] + self._floor * rng.standard_normal((BLOCK, self.pixels.size))
        return np.where(sample > 0.0, 1, -1).astype(np.int8)

    def real_faces(self) -> np.ndarray:
        """The 100 real LFW faces binarised by their per-pixel medians, (100, N) int8."""
        return self.real.copy()


def make_source(name: str, n_neurons: int, seed: int) -> PatternSource:
    if name == "rand":
        return RandomPatterns(n_neurons, seed)
    if name == "genface":
        return GenfacePatterns(n_neurons, seed)
    raise InvalidParameterError(f"patterns: unknown source {name!r}; expected 'rand' or 'genface'")
