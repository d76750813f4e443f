"""PLDA: scores equal the ratio of joint Gaussian densities, EM recovers the covariances,
and PLDA beats cosine scoring when the within-speaker noise is strongly anisotropic."""
import numpy as np
import pytest

from metricvox.backend.plda_backend import PldaBackend
from metricvox.backend.plda_training import diagonalize, estimate_plda
from metricvox.backend.trial_scoring import score_trials
from metricvox.data.trials import Trial
from metricvox.errors import InputError
from metricvox.metrics import equal_error_rate
from plda_reference import joint_log_ratio


def _random_covariance(rng, dim, scale=1.0):
    factor = rng.normal(size=(dim, dim))
    return scale * (factor @ factor.T / dim + 0.2 * np.eye(dim))


def _sample_speakers(rng, mean, between, within, num_speakers, sizes):
    """Groups of vectors mean + y + e, y ~ N(0, between) per speaker, e ~ N(0, within) each."""
    dim = mean.size
    groups = []
    for s in range(num_speakers):
        n = sizes[s % len(sizes)]
        y = rng.multivariate_normal(np.zeros(dim), between)
        groups.append(mean + y + rng.multivariate_normal(np.zeros(dim), within, size=n))
    return groups


@pytest.mark.parametrize("num_utts", [1, 3])
def test_llr_is_the_ratio_of_joint_gaussian_densities(num_utts):
    rng = np.random.default_rng(num_utts)
    dim = 5
    mean = rng.normal(size=dim)
    between, within = _random_covariance(rng, dim, 2.0), _random_covariance(rng, dim)
    plda = diagonalize(mean, between, within)
    for _ in range(5):
        enroll = mean + rng.normal(size=dim) * 2
        test = mean + rng.normal(size=dim) * 2
        got = plda.log_likelihood_ratios(plda.project(enroll[None]), num_utts,
                                         plda.project(test[None]))[0, 0]
        assert got == pytest.approx(joint_log_ratio(mean, between, within, enroll, num_utts, test),
                                    rel=1e-9, abs=1e-9)


def test_simultaneous_diagonalisation_makes_within_identity_and_between_diagonal():
    rng = np.random.default_rng(7)
    between, within = _random_covariance(rng, 6, 3.0), _random_covariance(rng, 6)
    plda = diagonalize(np.zeros(6), between, within)
    t = plda.transform
    np.testing.assert_allclose(t @ within @ t.T, np.eye(6), atol=1e-10)
    np.testing.assert_allclose(t @ between @ t.T, np.diag(plda.psi), atol=1e-10)
    assert np.all(np.diff(plda.psi) <= 0)                            # largest first, as Kaldi


def test_em_recovers_the_generating_covariances_within_sampling_error():
    rng = np.random.default_rng(0)
    dim, num_speakers, sizes = 4, 3000, [2, 3, 5, 8]
    mean = np.array([1.0, -2.0, 0.5, 3.0])
    between, within = _random_covariance(rng, dim, 2.0), _random_covariance(rng, dim, 0.5)
    groups = _sample_speakers(rng, mean, between, within, num_speakers, sizes)
    plda = estimate_plda(groups, num_iters=10)
    # Standard errors of covariance estimates: sqrt((C_ij^2 + C_ii C_jj) / degrees of freedom);
    # speakers give the between-class estimate, utterances beyond each speaker's first the within.
    num_vectors = sum(len(g) for g in groups)
    for estimate, truth, dof in ((plda.between_covariance, between, num_speakers),
                                 (plda.within_covariance, within, num_vectors - num_speakers)):
        error = np.sqrt((truth ** 2 + np.outer(np.diag(truth), np.diag(truth))) / dof)
        assert np.all(np.abs(estimate - truth) < 5 * error), (estimate, truth)
    mean_error = np.sqrt(np.diag(between + within / 2) / num_speakers)
    assert np.all(np.abs(plda.mean - mean) < 5 * mean_error)


def _anisotropic_speakers(rng, prefix, num_speakers, per_speaker, rotation):
    """Speakers y ~ N(0, I) whose within-speaker noise is 20 times larger in 3 of 10 directions."""
    scales = np.r_[np.full(3, 6.0), np.full(7, 0.3)]
    table = {}
    for s in range(num_speakers):
        y = rng.normal(size=10)
        for i in range(per_speaker):
            table[f"{prefix}{s:03d}-{i}"] = 2.0 + y + (rng.normal(size=10) * scales) @ rotation.T
    return table


def test_plda_beats_cosine_under_anisotropic_within_speaker_noise():
    rng = np.random.default_rng(3)
    rotation, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    train = _anisotropic_speakers(rng, "t", 200, 5, rotation)
    groups = [np.stack([train[f"t{s:03d}-{i}"] for i in range(5)]) for s in range(200)]
    test = _anisotropic_speakers(rng, "e", 30, 4, rotation)
    keys = sorted(test)
    trials = [Trial(a, b, a[:4] == b[:4], None) for a in keys for b in keys if a < b]
    is_target = np.array([t.is_target for t in trials])

    def eer(metric):
        scores = np.array([s for _, _, s in score_trials(trials, test, test, metric=metric)])
        return equal_error_rate(scores[is_target], scores[~is_target])[0]

    cosine = eer("cosine")
    assert cosine > 0.3                           # the nuisance directions swamp the speaker
    for length_norm in (True, False):
        assert eer(PldaBackend.fit(groups, length_norm=length_norm)) < 0.08


def test_plda_needs_speakers_with_two_utterances():
    with pytest.raises(InputError, match="two or more"):
        estimate_plda([np.ones((1, 3)), np.ones((2, 3))])


def test_crop_sets_score_the_mean_llr_over_crop_pairs():
    rng = np.random.default_rng(5)
    backend = PldaBackend.fit([rng.normal(size=3) + rng.normal(size=(3, 3)) for _ in range(20)])
    a1, a2, b = rng.normal(size=(3, 3))
    table = {"a": np.stack([a1, a2]), "a1": a1, "a2": a2, "b": b}
    trials = [Trial("a", "b", True, 1), Trial("a1", "b", True, 2), Trial("a2", "b", True, 3)]
    crops, first, second = (s for _, _, s in score_trials(trials, table, table, metric=backend))
    assert crops == pytest.approx((first + second) / 2)
