"""Back-end transforms: length normalisation, LDA (against scikit-learn), WCCN."""
import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from metricvox.backend.lda import estimate_lda
from metricvox.backend.length_norm import length_normalize
from metricvox.backend.wccn import estimate_wccn
from metricvox.errors import InputError


def _speakers(rng, num_speakers=40, per_speaker=6, dim=8):
    """Groups with a rank-deficient, anisotropic between-speaker spread and correlated noise."""
    between = rng.normal(size=(dim, 3)) * np.array([3.0, 2.0, 1.0])
    noise = rng.normal(size=(dim, dim)) * 0.5
    groups = []
    for _ in range(num_speakers):
        centre = between @ rng.normal(size=3) + 0.3 * rng.normal(size=dim)
        groups.append(centre + rng.normal(size=(per_speaker, dim)) @ noise.T)
    return groups


def _fisher_criterion(projection, within, between):
    """trace((V Sw V^T)^-1 V Sb V^T) for a (k, D) projection V."""
    return np.trace(np.linalg.solve(projection @ within @ projection.T,
                                    projection @ between @ projection.T))


def _scatters(groups):
    """Within (pooled about speaker means) and between (= total - within), both / N."""
    data = np.concatenate(groups)
    total = np.cov(data.T, bias=True)
    within = sum((g - g.mean(0)).T @ (g - g.mean(0)) for g in groups) / len(data)
    return within, total - within


def test_length_normalisation_scales_to_sqrt_dim_and_keeps_direction():
    rows = np.array([[3.0, 4.0, 0.0, 0.0], [0.0, 0.0, -2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    out = length_normalize(rows)
    np.testing.assert_allclose(out[0], [1.2, 1.6, 0, 0])             # 2 * (3, 4) / 5
    np.testing.assert_allclose(out[1], [0, 0, -2.0, 0])
    np.testing.assert_array_equal(out[2], 0.0)                      # no NaN from a zero row


def test_lda_spans_sklearns_discriminant_subspace_with_the_same_criterion():
    rng = np.random.default_rng(0)
    groups = _speakers(rng)
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    data = np.concatenate(groups)
    k = 3
    reference = LinearDiscriminantAnalysis(solver="eigen").fit(data, labels)
    projection, criterion = estimate_lda([g - data.mean(0) for g in groups], k)
    # The same subspace: every principal angle between the two k-dim row spaces is ~0.
    angles = subspace_angles(projection.T, reference.scalings_[:, :k])
    assert np.max(angles) < 1e-6
    # The same Fisher criterion of the subspace, and the same normalised eigenvalues.
    within, between = _scatters(groups)
    ours = _fisher_criterion(projection, within, between)
    theirs = _fisher_criterion(reference.scalings_[:, :k].T, within, between)
    assert ours == pytest.approx(theirs, rel=1e-8)
    assert ours == pytest.approx(criterion.sum(), rel=1e-8)
    _, all_ratios = estimate_lda(groups, data.shape[1])
    np.testing.assert_allclose(all_ratios[:k] / all_ratios.sum(),
                               reference.explained_variance_ratio_[:k], rtol=1e-6)
    # Kaldi's normalisation: within-class covariance I, between-class diagonal.
    np.testing.assert_allclose(projection @ within @ projection.T, np.eye(k), atol=1e-9)
    np.testing.assert_allclose(projection @ between @ projection.T, np.diag(criterion), atol=1e-9)


def test_lda_dimension_is_checked():
    groups = _speakers(np.random.default_rng(1), num_speakers=5, dim=4)
    with pytest.raises(InputError, match="outside 1..4"):
        estimate_lda(groups, 5)
    # 3 speakers span a 2-d between-speaker space: a larger dimension is lowered to it,
    # and the result is the 2-d LDA itself.
    projection, criterion = estimate_lda(groups[:3], 4)
    two, two_criterion = estimate_lda(groups[:3], 2)
    assert projection.shape == (2, 4)
    np.testing.assert_allclose(projection, two)
    with pytest.raises(InputError, match="at least two speakers"):
        estimate_lda(groups[:1], 1)


def test_wccn_makes_the_speaker_averaged_within_covariance_the_identity():
    rng = np.random.default_rng(2)
    # Speakers of different sizes, so per-speaker averaging differs from pooling.
    groups = [g[: 2 + i % 5] for i, g in enumerate(_speakers(rng, num_speakers=60, per_speaker=7))]
    matrix = estimate_wccn(groups)
    transformed = [g @ matrix.T for g in groups]
    within = np.mean([np.cov(g.T, bias=True) for g in transformed], axis=0)
    np.testing.assert_allclose(within, np.eye(matrix.shape[0]), atol=1e-9)


def test_wccn_of_a_singular_within_covariance_is_a_clear_error():
    groups = [np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 2.0]]), np.array([[5.0, 0.0, 0.0], [6.0, 0.0, 0.0]])]
    with pytest.raises(InputError, match="singular"):
        estimate_wccn(groups)
