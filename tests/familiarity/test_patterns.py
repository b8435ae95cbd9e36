"""Pattern sources: reproducible random patterns and the LFW genface source, offline."""

import numpy as np

from neuromorph.tasks.familiarity import GenfacePatterns, GenfacePixelPatterns, RandomPatterns, lfw_faces


def test_random_patterns_are_reproducible_and_random_access():
    a = RandomPatterns(50, seed=7)
    b = RandomPatterns(50, seed=7)
    whole = a.items(2, 0, 3000)
    assert np.array_equal(whole[1500:1600], b.items(2, 1500, 100))
    assert set(np.unique(whole)) == {-1, 1}
    assert abs(whole.mean()) < 5 / np.sqrt(whole.size)
    assert not np.array_equal(whole, RandomPatterns(50, seed=8).items(2, 0, 3000))


def test_lfw_faces_load_offline_from_scikit_image():
    faces = lfw_faces()
    assert faces.shape == (100, 625) and 0.0 <= faces.min() and faces.max() <= 1.0


def test_genface_pixel_patterns_have_the_pixel_correlations_of_real_faces():
    """Pixel-space genface: balanced bits whose pixel–pixel correlation matrix resembles that of
    the binarised real faces (correlation of the two matrices > 0.7; measured 0.87)."""
    source = GenfacePixelPatterns(256, seed=1)
    gen = source.items(0, 0, 4000).astype(float)
    real = source.real_faces().astype(float)
    assert real.shape == (100, 256)
    assert np.all(np.abs(gen.mean(axis=0)) < 0.1)
    c_gen = np.corrcoef(gen.T)[np.triu_indices(256, 1)]
    c_real = np.corrcoef(real.T)[np.triu_indices(256, 1)]
    assert np.corrcoef(c_gen, c_real)[0, 1] > 0.7
    assert np.mean(np.abs(c_gen)) > 0.05    # faces are far from i.i.d. bits (those give ~0.013 here)


def test_genface_pca_stream_is_fair_independent_bits_and_real_faces_are_not():
    """PCA-coordinate genface (the paper's recipe): binarised independent Gaussians are i.i.d. fair
    bits (|mean| and |pairwise correlation| at the 1/sqrt(n) level, 6 SE); the real faces on the
    same components are median-balanced (50 of 100 above the median)."""
    source = GenfacePatterns(300, seed=2)
    gen = source.items(0, 0, 8000).astype(float)
    se = 1 / np.sqrt(8000)
    assert np.all(np.abs(gen.mean(axis=0)) < 6 * se)
    corr = np.corrcoef(gen.T)[np.triu_indices(300, 1)]
    assert np.abs(corr).max() < 6 * se
    real = source.real_faces()
    assert real.shape == (100, 300) and np.all(real.sum(axis=0) == 0)
