"""Gaussian selection, pruned posteriors and Baum-Welch statistics against scipy computations."""
import kaldiio
import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import multivariate_normal

from ivector_synthetic import random_full_ubm
from metricvox.errors import InputError
from metricvox.ivector.stats import UbmAligner, feature_batches


def _component_log_likes(ubm, frames, diagonal):
    """(T, C) log w_c + log N(x_t; mu_c, Sigma_c) by scipy, one component at a time."""
    covars = ubm.to_full().covars
    return np.stack([
        np.log(ubm.weights[c]) + multivariate_normal(
            ubm.means[c], np.diag(np.diag(covars[c])) if diagonal else covars[c]).logpdf(frames)
        for c in range(ubm.num_components)], axis=1)


def _dense(posteriors, num_frames, num_components):
    dense = np.zeros((num_frames, num_components))
    dense[posteriors.frame, posteriors.component] = posteriors.posterior
    return dense


@pytest.fixture
def ubm_and_frames():
    rng = np.random.default_rng(0)
    ubm = random_full_ubm(rng, components=12, dim=4)
    # Frames from the model itself, so that likelihoods are spread over several components.
    comp = rng.choice(12, size=80, p=ubm.weights)
    frames = np.stack([rng.multivariate_normal(ubm.means[c], ubm.covars[c]) for c in comp])
    return ubm, frames


def test_gselect_is_the_exact_top_n_by_diagonal_likelihood(ubm_and_frames):
    ubm, frames = ubm_and_frames
    exact = _component_log_likes(ubm, frames, diagonal=True)
    selected, log_likes = UbmAligner(ubm, num_gselect=5).select(frames)
    top = np.argsort(-exact, axis=1)[:, :5]
    assert [set(row) for row in selected] == [set(row) for row in top]
    np.testing.assert_allclose(log_likes, np.take_along_axis(exact, selected, 1), rtol=1e-10)
    # More Gaussians asked for than exist: all of them.
    assert UbmAligner(ubm, num_gselect=50).select(frames)[0].shape == (80, 12)


@pytest.mark.parametrize("kind", ["full", "diag"])
def test_posteriors_are_the_ubm_s_over_the_selection_pruned_and_renormalised(ubm_and_frames, kind):
    ubm, frames = ubm_and_frames
    if kind == "diag":
        ubm = ubm.to_diag()
    num_gselect, min_post = 5, 0.1
    diagonal = _component_log_likes(ubm, frames, diagonal=True)
    selection = np.argsort(-diagonal, axis=1)[:, :num_gselect]
    log_likes = np.take_along_axis(_component_log_likes(ubm, frames, diagonal=kind == "diag"),
                                   selection, 1)
    expected = np.zeros((80, 12))
    for t in range(80):
        post = softmax(log_likes[t])
        post[post < min_post] = 0.0
        expected[t, selection[t]] = post / post.sum()
    assert (expected[expected > 0] < 0.999).any() and (np.count_nonzero(expected, 1) < 5).any()
    posteriors, frame_log_likes = UbmAligner(ubm, num_gselect, min_post).posteriors(frames)
    np.testing.assert_allclose(_dense(posteriors, 80, 12), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(frame_log_likes, np.log(np.exp(log_likes).sum(1)), rtol=1e-10)


def test_frames_whose_posteriors_are_all_pruned_keep_their_best_gaussian(ubm_and_frames):
    ubm, frames = ubm_and_frames
    full = np.take_along_axis(_component_log_likes(ubm, frames, False),
                              np.argsort(-_component_log_likes(ubm, frames, True), 1)[:, :5], 1)
    undecided = softmax(full, axis=1).max(1) < 0.9
    assert undecided.any()
    dense = _dense(UbmAligner(ubm, 5, min_post=0.9).posteriors(frames)[0], 80, 12)
    assert np.all(np.count_nonzero(dense, 1) == 1) and np.allclose(dense.sum(1), 1.0)


def test_batch_statistics_equal_sums_over_each_utterance_s_posteriors(ubm_and_frames):
    ubm, frames = ubm_and_frames
    aligner = UbmAligner(ubm, 4, 0.05)
    utterances = [frames[:30], frames[30:31], frames[31:]]
    batch, totals = aligner.batch_stats(["a", "b", "c"], utterances, second_order=True)
    second = np.zeros((12, 4, 4))
    for u, x in enumerate(utterances):
        post = _dense(aligner.posteriors(x)[0], len(x), 12)
        np.testing.assert_allclose(batch.zeroth[u], post.sum(0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(batch.first[u], post.T @ x, rtol=1e-6, atol=1e-5)
        second += np.einsum("tc,ti,tj->cij", post, x, x)
    np.testing.assert_allclose(totals.second, second, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(totals.zeroth, batch.zeroth.sum(0))
    np.testing.assert_allclose(totals.first, batch.first.astype(np.float64).sum(0))
    assert totals.num_frames == 80 and batch.keys == ["a", "b", "c"]
    assert batch.first.dtype == np.float32


def test_bad_alignment_settings_are_input_errors(ubm_and_frames):
    ubm, _ = ubm_and_frames
    with pytest.raises(InputError, match="num-gselect"):
        UbmAligner(ubm, num_gselect=0)
    with pytest.raises(InputError, match="min-post"):
        UbmAligner(ubm, min_post=1.0)


def _ark(tmp_path, entries):
    path = tmp_path / "feats.ark"
    kaldiio.save_ark(str(path), entries)
    return f"ark:{path}"


def test_feature_batches_check_every_utterance(tmp_path, caplog):
    rng = np.random.default_rng(1)
    good = {f"u{i}": rng.normal(size=(7, 4)).astype(np.float32) for i in range(5)}
    batches = list(feature_batches(_ark(tmp_path, good), 4, max_utterances=2))
    assert [keys for keys, _ in batches] == [["u0", "u1"], ["u2", "u3"], ["u4"]]
    by_frames = feature_batches(_ark(tmp_path, good), 4, max_frames=15)    # 7 frames each
    assert [keys for keys, _ in by_frames] == [["u0", "u1"], ["u2", "u3"], ["u4"]]

    with_empty = dict(good, u2=np.zeros((0, 4), np.float32))
    assert sum(len(k) for k, _ in feature_batches(_ark(tmp_path, with_empty), 4)) == 4
    assert "skipped 1 of 5 utterances that have no frames" in caplog.text

    wrong_dim = dict(good, u3=rng.normal(size=(7, 6)).astype(np.float32))
    with pytest.raises(InputError, match="utterance u3: features of dimension 6 do not match "
                                         "the UBM's dimension 4"):
        list(feature_batches(_ark(tmp_path, wrong_dim), 4))

    nan = dict(good)
    nan["u1"] = good["u1"].copy()
    nan["u1"][3, 2] = np.nan
    # Refused by the table reader itself, which names the ark, the key and the place.
    with pytest.raises(InputError, match=r"feats\.ark: 'u1': NaN or infinite value \(nan at "
                                         r"index \(3, 2\)\)"):
        list(feature_batches(_ark(tmp_path, nan), 4))

    (tmp_path / "empty.ark").write_bytes(b"")
    with pytest.raises(InputError, match="empty.ark: the feature table is empty"):
        list(feature_batches(f"ark:{tmp_path / 'empty.ark'}", 4))
    with pytest.raises(InputError, match="no utterance with frames"):
        list(feature_batches(_ark(tmp_path, {"z": np.zeros((0, 4), np.float32)}), 4))
