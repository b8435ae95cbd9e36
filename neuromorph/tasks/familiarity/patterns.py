"""Pattern sources for the familiarity stream; every source can produce item number t of its
stream directly (blocks of items drawn from a generator seeded by (seed, stream, block)), so a
stream can be checkpointed and resumed and the same seed always gives the same items.

``rand``     i.i.d. ±1 patterns with P(+1) = ½ (the paper's random condition).
``genface``  face-statistics patterns, the paper's "genface" recipe fitted offline to the 100 LFW
             faces that ship with scikit-image (``skimage.data.lfw_subset()``, 25×25 pixels):
             1. the faces and their mirror images, each shifted by up to one pixel (1,800 images),
                are whitened pixel-wise (every pixel z-scored) and projected on their principal
                components (625 of them; neuron k = component k, so N ≤ 625);
             2. a Gaussian with that PCA spectrum (diagonal covariance λ_k, zero mean) is sampled
                for as many items as the stream needs;
             3. each dimension is binarised by its median (0 for the fitted Gaussian).
             Binarised independent Gaussians are independent fair bits, so — as in the paper,
             whose genface Gaussian had the diagonal covariance of PCA scores too — the genface
             stream is statistically the ``rand`` stream; what is face-like are the test items:
             the real faces (``real_faces``), projected on the same components and binarised by
             each component's median over the 100 faces, whose bits are not independent.
``genface_pixels``  the same faces in pixel space: a Gaussian with the faces' pixel covariance
             (PCA spectrum + an isotropic floor at the smallest component variance), N pixels
             spread evenly over the image, binarised by the median — strongly correlated patterns
             (neighbouring pixels agree), a much harder stream for Hebbian storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...errors import DataUnavailableError, InvalidParameterError

__all__ = ["BLOCK", "PatternSource", "RandomPatterns", "GenfacePatterns", "GenfacePixelPatterns", "lfw_faces", "LFW_PIXELS",
           "make_source"]

BLOCK = 1024
LFW_PIXELS = 625
_SOURCES = {"rand": 1, "genface": 2, "genface_pixels": 3}


class PatternSource(ABC):
    """Items ``items(stream, start, count)`` (count, N) int8 ±1 of a numbered stream."""

    name = "source"
    description = ""

    def __init__(self, n_neurons: int, seed: int):
        self.n_neurons = int(n_neurons)
        self.seed = int(seed)
        self._cache: dict = {}

    @abstractmethod
    def _block(self, stream: int, block: int) -> np.ndarray:
        """Block ``block`` of stream ``stream``: (BLOCK, N) int8 ±1 items."""

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


def _augmented_faces() -> np.ndarray:
    """The 100 faces, their mirror images, and every one-pixel shift (wrapping) of both: (1800, 625)."""
    faces = lfw_faces().reshape(-1, 25, 25)
    images = []
    for img in (faces, faces[:, :, ::-1]):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                images.append(np.roll(np.roll(img, dy, axis=1), dx, axis=2))
    return np.concatenate(images).reshape(-1, LFW_PIXELS)


@lru_cache(maxsize=2)
def _face_pca(augment: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pixel mean, pixel std, components (K, 625), component variances (K,)) of the whitened faces."""
    faces = _augmented_faces() if augment else lfw_faces()
    mean = faces.mean(axis=0)
    std = faces.std(axis=0)
    white = (faces - mean) / std
    _, sing, vt = np.linalg.svd(white - white.mean(axis=0), full_matrices=False)
    variances = sing**2 / (faces.shape[0] - 1)
    keep = variances > variances[0] * 1e-10
    return mean, std, vt[keep], variances[keep]


def _median_binarise(x: np.ndarray) -> np.ndarray:
    return np.where(x > np.median(x, axis=0), 1, -1).astype(np.int8)


def _pixels(n_neurons: int) -> np.ndarray:
    if n_neurons > LFW_PIXELS:
        raise InvalidParameterError(f"neurons: the LFW face source has {LFW_PIXELS} pixels (25x25), so at most "
                                    f"{LFW_PIXELS} neurons; got {n_neurons}")
    return np.unique(np.round(np.linspace(0, LFW_PIXELS - 1, n_neurons)).astype(int))


class GenfacePatterns(PatternSource):
    """Genface stream in PCA coordinates (see the module docstring); ``real_faces()`` the test items."""

    name = "genface"
    description = ("genface: Gaussian with the PCA spectrum of the pixel-whitened LFW faces of "
                   "skimage.data.lfw_subset() (with mirror images and 1-pixel shifts), median-binarised")

    def __init__(self, n_neurons: int, seed: int):
        super().__init__(n_neurons, seed)
        _pixels(n_neurons)                                    # the same N limit
        mean, std, vt, variances = _face_pca(True)
        self._scales = np.sqrt(variances[:n_neurons])
        real = ((lfw_faces() - mean) / std) @ vt[:n_neurons].T
        self.real = _median_binarise(real)

    def _block(self, stream: int, block: int) -> np.ndarray:
        sample = self._rng(stream, block).standard_normal((BLOCK, self.n_neurons)) * self._scales
        return np.where(sample > 0.0, 1, -1).astype(np.int8)

    def real_faces(self) -> np.ndarray:
        """The 100 real LFW faces on the first N components, binarised by each one's median, (100, N)."""
        return self.real.copy()


class GenfacePixelPatterns(GenfacePatterns):
    """Genface stream in pixel space (strongly correlated bits)."""

    name = "genface_pixels"
    description = ("genface_pixels: Gaussian with the pixel covariance (PCA spectrum + isotropic floor) of the "
                   "100 pixel-whitened LFW faces of skimage.data.lfw_subset(), N pixels, median-binarised")

    def __init__(self, n_neurons: int, seed: int):
        PatternSource.__init__(self, n_neurons, seed)
        self.pixels = _pixels(n_neurons)
        mean, std, vt, variances = _face_pca(False)
        self._vt, self._scales, self._floor = vt, np.sqrt(variances), float(np.sqrt(variances[-1]))
        self.real = _median_binarise(((lfw_faces() - mean) / std)[:, self.pixels])

    def _block(self, stream: int, block: int) -> np.ndarray:
        rng = self._rng(stream, block)
        coeff = rng.standard_normal((BLOCK, self._scales.size)) * self._scales
        sample = coeff @ self._vt[:, self.pixels] + self._floor * rng.standard_normal((BLOCK, self.pixels.size))
        return np.where(sample > 0.0, 1, -1).astype(np.int8)


def make_source(name: str, n_neurons: int, seed: int) -> PatternSource:
    if name == "rand":
        return RandomPatterns(n_neurons, seed)
    if name == "genface":
        return GenfacePatterns(n_neurons, seed)
    if name == "genface_pixels":
        return GenfacePixelPatterns(n_neurons, seed)
    raise InvalidParameterError(f"patterns: unknown source {name!r}; expected rand, genface or genface_pixels")
