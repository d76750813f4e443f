"""EM training of the extractor: a non-decreasing likelihood, the minimum-divergence step,
and i-vectors that separate speakers the extractor never saw."""
import numpy as np
import pytest
import scipy.linalg
import torch

from ivector_synthetic import SpeakerCorpus, fit_ubm
from metricvox.errors import InputError
from metricvox.ivector.stats import UbmAligner
from metricvox.ivector.training import (EmAccumulator, _minimum_divergence, expectation,
                                        initial_extractor, maximisation, train_extractor)
from metricvox.metrics import equal_error_rate


def _stats(aligner, features, batch_size=16):
    keys = sorted(features)
    batches, totals = [], None
    for start in range(0, len(keys), batch_size):
        chunk = keys[start:start + batch_size]
        batch, batch_totals = aligner.batch_stats(chunk, [features[k] for k in chunk], True)
        batches.append(batch)
        totals = batch_totals if totals is None else totals + batch_totals
    return batches, totals


@pytest.fixture(scope="module")
def corpus():
    synth = SpeakerCorpus(components=8, dim=5, rank=3, seed=0)
    train, _ = synth.utterances(40, 4, prefix="train")
    test, speaker_of = synth.utterances(20, 4, prefix="test")
    ubm = fit_ubm(train, 8)
    aligner = UbmAligner(ubm, num_gselect=4)
    return ubm, _stats(aligner, train), _stats(aligner, test), speaker_of


def test_em_never_decreases_the_likelihood(corpus):
    ubm, (batches, totals), _, _ = corpus
    extractor, objectives = train_extractor(initial_extractor(ubm, 6, seed=1, num_gselect=4),
                                            batches, totals, num_iters=6)
    final = extractor.log_likelihood(batches, totals) / totals.num_frames
    trace = np.array(objectives + [final])
    assert np.all(np.diff(trace) > 0), trace
    assert trace[-1] - trace[0] > 1.0                   # from random T to the true subspace
    # The objective reported for the initial model is that model's marginal likelihood.
    initial = initial_extractor(ubm, 6, seed=1, num_gselect=4)
    assert objectives[0] == pytest.approx(initial.log_likelihood(batches, totals)
                                          / totals.num_frames, rel=1e-12)


def test_one_em_step_is_the_dense_closed_form(corpus):
    # Kaldi's form: prior N(o e_1, I) on w~, raw statistics, T_c = Y_c R_c^-1 and Sigma_c from
    # S_c, computed here utterance by utterance with supervector matrices.
    ubm, (batches, totals), _, _ = corpus
    old = initial_extractor(ubm, 4, seed=2, num_gselect=4)
    components, dim, rank = old.num_components, old.feat_dim, old.ivector_dim
    loading = old.projection.reshape(-1, rank)
    precision = scipy.linalg.block_diag(*np.linalg.inv(old.covars))
    prior_mean = old.prior_offset * np.eye(rank)[0]
    y = np.zeros((components, dim, rank))
    r = np.zeros((components, rank, rank))
    moments = []
    for batch in batches:
        for n, f in zip(batch.zeroth, batch.first.astype(np.float64)):
            big_l = np.eye(rank) + loading.T @ precision @ (np.repeat(n, dim)[:, None] * loading)
            cov = np.linalg.inv(big_l)
            mean = cov @ (loading.T @ precision @ f.ravel() + prior_mean)
            y += f[:, :, None] * mean
            r += n[:, None, None] * (cov + np.outer(mean, mean))
            moments.append((mean, cov + np.outer(mean, mean)))
    t = np.linalg.solve(r, y.transpose(0, 2, 1)).transpose(0, 2, 1)
    cross = t @ y.transpose(0, 2, 1)
    sigma = (totals.second - cross - cross.transpose(0, 2, 1) + t @ r @ t.transpose(0, 2, 1)
             ) / totals.zeroth[:, None, None]
    mu = np.mean([m for m, _ in moments], axis=0)
    sigma_w = np.mean([s for _, s in moments], axis=0) - np.outer(mu, mu)

    new = maximisation(expectation(old, batches), totals, variance_floor_factor=1e-6)
    # S - T Y' - Y T' + T R T' cancels terms of order 1e4 (the prior offset is 100).
    np.testing.assert_allclose(new.covars, sigma, rtol=1e-6, atol=1e-6)
    # Minimum divergence re-parametrises: the fitted prior N(mu, Sigma_w) on w~ with T gives
    # the same distribution of the mean supervector as N(o' e_1, I) with the new T.
    t_super, new_super = t.reshape(-1, rank), new.projection.reshape(-1, rank)
    np.testing.assert_allclose(new.means.ravel(), t_super @ mu, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(new_super @ new_super.T, t_super @ sigma_w @ t_super.T,
                               rtol=1e-6, atol=1e-6)


def test_minimum_divergence_maps_the_ivector_distribution_to_offset_e1_and_identity():
    rng = np.random.default_rng(0)
    rank, count = 5, 40
    mixing = rng.normal(size=(rank, rank))
    ivectors = rng.normal(size=(count, rank)) @ mixing + rng.normal(size=rank)
    spread = rng.normal(size=(rank, rank))
    posterior_cov = spread @ spread.T / rank
    accumulator = EmAccumulator.__new__(EmAccumulator)
    accumulator.num_ivectors = count
    accumulator.ivector_sum = torch.from_numpy(ivectors.sum(0))
    accumulator.ivector_scatter = torch.from_numpy(ivectors.T @ ivectors + count * posterior_cov)
    transform_inverse, offset = _minimum_divergence(accumulator)
    transform = np.linalg.inv(transform_inverse.numpy())
    mean = ivectors.mean(0)
    covariance = np.cov(ivectors.T, bias=True) + posterior_cov
    np.testing.assert_allclose(transform @ mean, offset * np.eye(rank)[0], atol=1e-9)
    np.testing.assert_allclose(transform @ covariance @ transform.T, np.eye(rank), atol=1e-9)
    assert offset > 0


def test_ivectors_of_unseen_speakers_separate_by_cosine(corpus):
    ubm, (batches, totals), (test_batches, _), speaker_of = corpus
    extractor, _ = train_extractor(initial_extractor(ubm, 6, seed=3, num_gselect=4),
                                   batches, totals, num_iters=5)
    keys = [k for b in test_batches for k in b.keys]
    ivectors = np.concatenate([extractor.extract(b) for b in test_batches])
    unit = ivectors / np.linalg.norm(ivectors, axis=1, keepdims=True)
    scores = unit @ unit.T
    speakers = np.array([speaker_of[k] for k in keys])
    upper = np.triu(np.ones_like(scores, dtype=bool), 1)
    same = (speakers[:, None] == speakers[None, :]) & upper
    different = (speakers[:, None] != speakers[None, :]) & upper
    target, nontarget = scores[same], scores[different]
    eer, _ = equal_error_rate(target, nontarget)
    assert target.mean() > nontarget.mean() + 0.4, (target.mean(), nontarget.mean())
    assert eer < 0.15, eer


def test_same_seed_same_extractor_and_impossible_dimensions(corpus):
    ubm, (batches, totals), _, _ = corpus
    first = initial_extractor(ubm, 4, seed=5)
    again = initial_extractor(ubm, 4, seed=5)
    np.testing.assert_array_equal(first.projection, again.projection)
    assert not np.array_equal(first.projection, initial_extractor(ubm, 4, seed=6).projection)
    one, _ = train_extractor(first, batches, totals, 1)
    two, _ = train_extractor(again, batches, totals, 1)
    np.testing.assert_array_equal(one.projection, two.projection)
    with pytest.raises(InputError, match="--ivector-dim 41 must be between 1 and .* = 40"):
        initial_extractor(ubm, 41)
