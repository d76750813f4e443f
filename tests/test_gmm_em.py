"""EM for diagonal and full GMMs: the torch E-step against numpy, one iteration against
scikit-learn's GaussianMixture, statistics that add up over splits, the variance floor,
component removal, splitting, and the frame sampling of the UBM trainer."""
import logging
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from metricvox.errors import InputError
from metricvox.gmm.estep import StatsAccumulator, accumulate
from metricvox.gmm.frames import FeatureFrames
from metricvox.gmm.init import init_from_frames, split_components
from metricvox.gmm.model import Gmm
from metricvox.gmm.mstep import maximize
from metricvox.gmm import stats_jobs
from metricvox.gmm.stats_jobs import StatsJobs
from metricvox.gmm.ubm_training import UbmOptions, capped_frames, random_frames, train_ubm


def _mixture_data(rng, frames=3000, dim=4, centres=3):
    means = rng.normal(0, 4, (centres, dim))
    labels = rng.integers(0, centres, frames)
    scales = rng.uniform(0.5, 2.0, (centres, dim))
    return means[labels] + rng.normal(size=(frames, dim)) * scales[labels]


def _random_model(rng, components=3, dim=4, kind="full"):
    a = rng.normal(size=(components, dim, dim))
    model = Gmm(rng.dirichlet(np.ones(components) * 5), rng.normal(0, 3, (components, dim)),
                a @ a.transpose(0, 2, 1) + np.eye(dim))
    return model if kind == "full" else model.to_diag()


@pytest.mark.parametrize("kind", ["diag", "full"])
@pytest.mark.parametrize("second_order", ["diag", "full", None])
def test_torch_estep_matches_numpy_posteriors(kind, second_order):
    rng = np.random.default_rng(0)
    model = _random_model(rng, kind=kind)
    frames = _mixture_data(rng, frames=700)
    posteriors, frame_ll = model.posteriors(frames)          # numpy/scipy, Cholesky solves
    accumulator = StatsAccumulator(model, second_order)
    accumulator.block_frames = 64                             # several blocks, one ragged
    accumulator.add(frames)
    stats = accumulator.stats()
    np.testing.assert_allclose(stats.zeroth, posteriors.sum(0), rtol=1e-8)
    np.testing.assert_allclose(stats.first, posteriors.T @ frames, rtol=1e-8)
    if second_order == "diag":
        np.testing.assert_allclose(stats.second, posteriors.T @ frames ** 2, rtol=1e-8)
    elif second_order == "full":
        expected = np.einsum("tc,td,te->cde", posteriors, frames, frames)
        np.testing.assert_allclose(stats.second, expected, rtol=1e-8)
    else:
        assert stats.second is None
    assert stats.log_likelihood == pytest.approx(frame_ll.sum(), rel=1e-10)
    assert stats.num_frames == 700


@pytest.mark.parametrize("second_order", ["diag", "full"])
def test_statistics_of_splits_sum_to_the_whole(second_order):
    rng = np.random.default_rng(1)
    model = _random_model(rng, kind="diag")
    frames = _mixture_data(rng, frames=900)
    whole = accumulate(model, frames, second_order)
    parts = [accumulate(model, part, second_order) for part in np.split(frames, [100, 550])]
    summed = parts[0] + parts[1] + parts[2]
    for name in ("zeroth", "first", "second"):
        np.testing.assert_allclose(getattr(summed, name), getattr(whole, name), rtol=1e-12)
    assert summed.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
    assert summed.num_frames == whole.num_frames
    with pytest.raises(ValueError):
        whole + accumulate(model, frames, None)


@pytest.mark.parametrize("kind", ["diag", "full"])
def test_one_em_iteration_matches_scikit_learn(kind):
    rng = np.random.default_rng(2)
    frames = _mixture_data(rng)
    start = _random_model(rng, kind=kind)
    precisions = 1.0 / start.covars if kind == "diag" else np.linalg.inv(start.covars)
    reference = GaussianMixture(3, covariance_type=kind, max_iter=1, reg_covar=1e-14, tol=0,
                                weights_init=start.weights, means_init=start.means,
                                precisions_init=precisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(frames)
    ours = maximize(accumulate(start, frames, kind), variance_floor=1e-12, min_count=0,
                    min_weight=0)
    np.testing.assert_allclose(ours.weights, reference.weights_, rtol=1e-9)
    np.testing.assert_allclose(ours.means, reference.means_, rtol=1e-9)
    np.testing.assert_allclose(ours.covars, reference.covariances_, rtol=1e-9, atol=1e-12)


def test_log_likelihood_increases_and_the_model_grows_to_size(caplog):
    rng = np.random.default_rng(3)
    data = {f"u{i}": block for i, block in enumerate(np.split(_mixture_data(rng, 4000), 8))}
    frames = _InMemory(data)
    options = UbmOptions(num_components=6, num_iters_init=6, num_iters=3, full=True,
                         num_iters_full=3, min_count=1, variance_floor=1e-4)
    with StatsJobs(1) as jobs, caplog.at_level(logging.INFO, logger="metricvox"):
        model, history = train_ubm(frames, options, jobs, seed=0)
    assert "floored" not in caplog.text and "removed" not in caplog.text
    assert model.kind == "full" and model.num_components == 6
    assert [h.num_components for h in history[:4]] == [3, 4, 5, 6]
    # Past growth, EM never lowers the likelihood (nothing here is floored or removed).
    after_growth = [h.log_likelihood for h in history[3:]]
    assert all(b >= a - 1e-9 for a, b in zip(after_growth, after_growth[1:]))
    assert history[-1].log_likelihood > history[3].log_likelihood


def test_constant_dimension_is_floored_and_reported(caplog):
    rng = np.random.default_rng(4)
    frames = _mixture_data(rng)
    frames[:, 2] = 5.0
    for kind in ("diag", "full"):
        model = init_from_frames(frames, 3, np.random.default_rng(0))
        if kind == "full":
            model = model.to_full()
        with caplog.at_level(logging.INFO, logger="metricvox"):
            for _ in range(3):
                model = maximize(accumulate(model, frames, kind))
        assert np.all(np.isfinite(model.covars)) and np.all(np.isfinite(model.means))
        assert np.all(np.isfinite(model.log_likelihood(frames)))
        assert "feature dimension(s) (2)" in caplog.text or kind == "full"
        assert "have (almost) no variance" in caplog.text
        assert "floored" in caplog.text
        caplog.clear()
    with pytest.raises(InputError, match="do not vary at all"):
        maximize(accumulate(model.to_diag(), np.ones((50, 4)), "diag"))


def test_variance_floor_is_relative_to_the_global_variance(caplog):
    rng = np.random.default_rng(5)
    frames = rng.normal(size=(2000, 2)) * [1.0, 100.0]
    # One component sits on ten identical frames: its variance would be zero.
    frames[:10] = [30.0, 0.0]
    model = Gmm([0.5, 0.5], [[0.0, 0.0], [30.0, 0.0]], [[1.0, 1e4], [1.0, 1e4]])
    with caplog.at_level(logging.INFO, logger="metricvox"):
        updated = maximize(accumulate(model, frames, "diag"), variance_floor=0.01)
    global_variance = frames.var(0)
    np.testing.assert_allclose(updated.covars[1], 0.01 * global_variance, rtol=1e-9)
    assert "floored 2 variances" in caplog.text


def test_low_occupancy_components_are_removed_and_weights_renormalised(caplog):
    rng = np.random.default_rng(6)
    frames = rng.normal(size=(1000, 2))
    model = Gmm([0.45, 0.45, 0.1], [[-1, 0], [1, 0], [50, 50]], np.ones((3, 2)))
    with caplog.at_level(logging.INFO, logger="metricvox"):
        updated = maximize(accumulate(model, frames, "diag"), min_count=10)
    assert updated.num_components == 2
    assert updated.weights.sum() == pytest.approx(1.0)
    assert "removed 1 of 3 components" in caplog.text
    with pytest.raises(InputError, match="no component has enough data"):
        maximize(accumulate(model, frames[:5], "diag"), min_count=10)


def test_split_halves_the_heaviest_and_moves_means_by_the_std():
    model = Gmm([0.7, 0.3], [[0.0, 0.0], [5.0, 5.0]], [[4.0, 1.0], [1.0, 1.0]])
    grown = split_components(model, 3, np.random.default_rng(0), perturb=0.1)
    np.testing.assert_allclose(grown.weights, [0.35, 0.3, 0.35])
    shift = grown.means[2] - model.means[0]
    np.testing.assert_allclose(grown.means[0], model.means[0] - shift)
    z = np.random.default_rng(0).standard_normal(2)
    np.testing.assert_allclose(shift, 0.1 * np.sqrt([4.0, 1.0]) * z)
    np.testing.assert_array_equal(grown.covars[2], model.covars[0])


def test_initial_model_from_distinct_random_frames():
    frames = np.arange(40.0).reshape(20, 2)
    model = init_from_frames(frames, 5, np.random.default_rng(0))
    assert len({tuple(m) for m in model.means}) == 5
    assert all(any((m == f).all() for f in frames) for m in model.means)
    np.testing.assert_allclose(model.covars, np.tile(frames.var(0), (5, 1)))
    with pytest.raises(InputError, match="too few"):
        init_from_frames(frames, 21, np.random.default_rng(0))


def test_random_frames_are_a_uniform_sample_without_replacement():
    data = {f"u{i}": np.arange(i * 100, (i + 1) * 100, dtype=float)[:, None] for i in range(30)}
    sample, total = random_frames(_InMemory(data), 400, np.random.default_rng(0))
    assert total == 3000 and sample.shape == (400, 1)
    assert len(np.unique(sample)) == 400
    again, _ = random_frames(_InMemory(data), 400, np.random.default_rng(0))
    np.testing.assert_array_equal(sample, again)
    # Each utterance gets its share of the sample on average (30 x 100 frames, 400 drawn).
    counts = []
    for seed in range(40):
        drawn, _ = random_frames(_InMemory(data), 400, np.random.default_rng(seed))
        counts.append(np.bincount((drawn[:, 0] // 100).astype(int), minlength=30))
    assert np.abs(np.mean(counts, 0) - 400 / 30).max() < 2.0


def test_frame_cap_is_exact_and_independent_of_how_jobs_split_utterances():
    data = {f"u{i}": np.arange(i * 50, (i + 1) * 50, dtype=float)[:, None] for i in range(10)}
    kept = list(capped_frames(_InMemory(data), 500, 120, np.random.default_rng(7)))
    values = np.concatenate([m for _, m in kept])[:, 0]
    assert values.size == 120 and len(np.unique(values)) == 120
    kept_again = list(capped_frames(_InMemory(data), 500, 120, np.random.default_rng(7)))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(kept, kept_again))
    assert sum(len(m) for _, m in capped_frames(_InMemory(data), 500, 0, None)) == 500


def test_feature_frames_subsample_and_check(tmp_path):
    import kaldiio
    ark = tmp_path / "feats.ark"
    kaldiio.save_ark(str(ark), {"a": np.arange(20.0).reshape(10, 2).astype(np.float32),
                                "b": np.zeros((0, 2), np.float32)})
    frames = FeatureFrames(f"ark:{ark}", subsample=3)
    (key, matrix), = list(frames)
    np.testing.assert_array_equal(matrix[:, 0], [0, 6, 12, 18])
    kaldiio.save_ark(str(ark), {"a": np.zeros((3, 2), np.float32),
                                "c": np.zeros((3, 4), np.float32)})
    with pytest.raises(InputError, match=r"feats.ark: utterance 'c': features of dimension 4"):
        list(FeatureFrames(f"ark:{ark}"))


class _InMemory:
    """A feature table held in memory (what FeatureFrames yields), for library tests."""

    subsample = 1
    rspecifier = "memory"

    def __init__(self, table):
        self.table = table

    def __iter__(self):
        return iter(self.table.items())


def test_stats_jobs_sum_chunks_in_order_whatever_the_number_of_jobs(monkeypatch):
    """Several chunks over one job and over two: the statistics of all the frames at once
    (rounding apart), and the same from either number of jobs."""
    monkeypatch.setattr(stats_jobs, "CHUNK_FRAMES", 700)
    rng = np.random.default_rng(8)
    utterances = [(f"u{i}", block) for i, block in enumerate(np.split(_mixture_data(rng), 10))]
    model = _random_model(rng)
    reference = accumulate(model, np.concatenate([b for _, b in utterances]), "full")
    results = []
    for nj in (1, 2):
        with StatsJobs(nj) as jobs:
            results.append(jobs.accumulate(model, iter(utterances), "full"))
    for stats in results:
        assert stats.num_frames == 3000
        for name in ("zeroth", "first", "second", "log_likelihood"):
            np.testing.assert_allclose(getattr(stats, name), getattr(reference, name),
                                       rtol=1e-12)
    for name in ("zeroth", "first", "second", "log_likelihood"):
        np.testing.assert_array_equal(getattr(results[1], name), getattr(results[0], name))
