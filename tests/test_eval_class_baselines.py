"""The class GMM, linear SVM and embedding-centroid classifiers against independent references."""
import math

import kaldiio
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from conftest import assert_one_line_error
from metricvox.classify.centroid_classifier import class_centroids, segments_by_utterance
from metricvox.classify.class_gmm import load_class_gmms, save_class_gmms
from metricvox.classify.class_gmm_training import train_class_gmms
from metricvox.classify.class_scores import read_class_scores
from metricvox.classify.class_svm import load_class_svm, save_class_svm
from metricvox.classify.class_svm_training import training_frames
from metricvox.data.utt_labels import read_utt2label
from metricvox.errors import InputError
from metricvox.gmm.frames import FeatureFrames
from metricvox.gmm.model import Gmm
from metricvox.gmm.stats_jobs import StatsJobs
from metricvox.gmm.ubm_training import UbmOptions
from metricvox.io import read_matrices


def _write_ark(path, table):
    with kaldiio.WriteHelper(f"ark:{path}") as writer:
        for key in sorted(table):
            writer(key, np.asarray(table[key], dtype=np.float32))
    return f"ark:{path}"


def _write_labels(path, labels):
    path.write_text("".join(f"{u} {labels[u]}\n" for u in sorted(labels)))
    return path


def _two_class_frames(rng, num_utts=6, frames=60, dim=4, gap=8.0):
    """Class 'p' around +gap/2 and 'q' around -gap/2, each a mix of two clusters 4 apart in
    every dimension."""
    table, labels = {}, {}
    for name, sign in (("p", 1.0), ("q", -1.0)):
        for k in range(num_utts):
            cluster = np.where(rng.random(frames) < 0.5, 1.0, -1.0)[:, None] * 2.0
            table[f"{name}{k}"] = sign * gap / 2 + cluster + rng.normal(size=(frames, dim))
            labels[f"{name}{k}"] = name
    return table, labels


def test_gmm_scores_equal_scipy_mixture_log_likelihoods(tool, tmp_path):
    rng = np.random.default_rng(3)
    models = {}
    for name, size in (("dog", 3), ("siren", 2)):
        weights = rng.uniform(0.2, 1.0, size=size)
        models[name] = Gmm(weights / weights.sum(), rng.normal(size=(size, 2)),
                           rng.uniform(0.5, 2.0, size=(size, 2)))
    save_class_gmms(models, tmp_path / "model")
    test = {"t1": rng.normal(size=(7, 2)), "t2": rng.normal(size=(4, 2)) + 1.0}
    feats = _write_ark(tmp_path / "test.ark", {**test, "t3": rng.normal(size=(3, 2))})
    (tmp_path / "utts").write_text("t1 x\nt2 y\n")
    tool("metricvox-score-classes", "--method", "gmm", "--model", tmp_path / "model",
         "--utts", tmp_path / "utts", feats, tmp_path / "scores")
    scores = read_class_scores(tmp_path / "scores")
    assert scores.classes == ["dog", "siren"] and scores.utts == ["t1", "t2"]
    for i, utt in enumerate(scores.utts):
        frames = test[utt].astype(np.float32).astype(np.float64)
        for j, name in enumerate(scores.classes):
            model = models[name]
            per_component = np.stack([
                math.log(w) + multivariate_normal(m, np.diag(v)).logpdf(frames)
                for w, m, v in zip(model.weights, model.means, model.covars)], axis=1)
            expected = logsumexp(per_component, axis=1).mean()
            assert scores.scores[i, j] == pytest.approx(expected, rel=1e-5)


def _em_step(frames, model):
    """One EM step for a diagonal GMM, written out with scipy's densities."""
    joint = np.stack([math.log(w) + multivariate_normal(m, np.diag(v)).logpdf(frames)
                      for w, m, v in zip(model.weights, model.means, model.covars)], axis=1)
    gamma = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    counts = gamma.sum(axis=0)
    means = gamma.T @ frames / counts[:, None]
    covars = gamma.T @ frames ** 2 / counts[:, None] - means ** 2
    return counts / counts.sum(), means, covars


def test_class_gmm_training_is_maximum_likelihood(tool, tmp_path):
    rng = np.random.default_rng(0)
    table, labels = _two_class_frames(rng)
    feats = _write_ark(tmp_path / "feats.ark", table)
    utt2label = _write_labels(tmp_path / "utt2label", labels)
    class_frames = {name: np.concatenate([table[u] for u in sorted(table) if labels[u] == name])
                    .astype(np.float32).astype(np.float64) for name in ("p", "q")}
    # One component: the maximum-likelihood Gaussian is the frames' mean and (biased) variance.
    with StatsJobs(1) as jobs:
        one = train_class_gmms(FeatureFrames(feats), read_utt2label(utt2label),
                               UbmOptions(num_components=1, num_frames_init=1000), jobs)
    for name, model in one.items():
        np.testing.assert_allclose(model.means[0], class_frames[name].mean(axis=0), atol=1e-9)
        np.testing.assert_allclose(model.covars[0], class_frames[name].var(axis=0), rtol=1e-9)
    # Two components: EM has converged, so one more EM step leaves the model where it is.
    tool("metricvox-train-class-gmms", "--utt2label", utt2label, "--num-components", "2",
         "--num-iters", "30", "--seed", "1", feats, tmp_path / "two")
    models = load_class_gmms(tmp_path / "two")
    assert sorted(models) == ["p", "q"]
    for name, model in models.items():
        assert model.num_components == 2 and model.kind == "diag"
        weights, means, covars = _em_step(class_frames[name], model)
        np.testing.assert_allclose(weights, model.weights, atol=1e-3)
        np.testing.assert_allclose(means, model.means, atol=1e-3)
        np.testing.assert_allclose(covars, model.covars, atol=1e-3)


def test_svm_separates_two_classes_and_matches_sklearn(tool, tmp_path):
    rng = np.random.default_rng(1)
    train, train_labels = _two_class_frames(rng, num_utts=5, frames=40)
    test, test_labels = _two_class_frames(rng, num_utts=10, frames=20)
    test = {f"t{u}": m for u, m in test.items()}
    test_labels = {f"t{u}": c for u, c in test_labels.items()}
    feats = _write_ark(tmp_path / "train.ark", train)
    utt2label = _write_labels(tmp_path / "utt2label", train_labels)
    tool("metricvox-train-class-svm", "--utt2label", utt2label, "--max-frames-per-utt", "0",
         feats, tmp_path / "svm.npz")
    tool("metricvox-score-classes", "--method", "svm", "--model", tmp_path / "svm.npz",
         _write_ark(tmp_path / "test.ark", test), tmp_path / "scores")
    scores = read_class_scores(tmp_path / "scores")
    predicted = [scores.classes[k] for k in scores.predictions()]
    accuracy = np.mean([p == test_labels[u] for u, p in zip(scores.utts, predicted)])
    assert accuracy > 0.95
    # The same model from scikit-learn called directly on the same frames.
    keys = sorted(train)
    frames = np.concatenate([train[k].astype(np.float32) for k in keys]).astype(np.float64)
    targets = np.concatenate([[train_labels[k]] * train[k].shape[0] for k in keys])
    reference = make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=10000,
                                                          random_state=0)).fit(frames, targets)
    for i, utt in enumerate(scores.utts):
        value = reference.decision_function(test[utt].astype(np.float32).astype(np.float64))
        # Two classes: one hyperplane, scoring 'q' (the second class), '-value' for 'p'.
        np.testing.assert_allclose(scores.scores[i], [-value.mean(), value.mean()], rtol=1e-5,
                                   atol=1e-6)


def test_svm_frame_cap_is_seeded_and_per_file(tmp_path):
    rng = np.random.default_rng(2)
    table, labels = _two_class_frames(rng, num_utts=3, frames=30)
    feats = _write_ark(tmp_path / "feats.ark", table)
    utt_labels = read_utt2label(_write_labels(tmp_path / "utt2label", labels))
    first, targets = training_frames(FeatureFrames(feats), utt_labels, 7, seed=5)
    again, _ = training_frames(FeatureFrames(feats), utt_labels, 7, seed=5)
    other, _ = training_frames(FeatureFrames(feats), utt_labels, 7, seed=6)
    assert first.shape == (6 * 7, 4) and list(targets) == ["p"] * 21 + ["q"] * 21
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Every kept frame is one of its own file's frames.
    for n, key in enumerate(sorted(table)):
        rows = table[key].astype(np.float32)
        for row in first[7 * n: 7 * n + 7]:
            assert np.any(np.all(rows == row.astype(np.float32), axis=1))


def _centroid_setup(tmp_path, test):
    # Class A: file a1 has three segments at (-1, 0), file a2 one at (3, 0): the segment mean
    # is (0, 0) (the mean of the two files' means would be (1, 0)). Class B: (10, 0).
    train = {"a1-0000000-0000100": [-1, 0], "a1-0000100-0000200": [-1, 0],
             "a1-0000200-0000300": [-1, 0], "a2-0000000-0000100": [3, 0],
             "b1-0000000-0000100": [10, 0], "b1-0000100-0000200": [10, 0],
             "unlabelled-0000000-0000100": [100, 100]}
    train_ark = _write_ark(tmp_path / "train.ark", {k: np.array(v) for k, v in train.items()})
    utt2label = _write_labels(tmp_path / "utt2label", {"a1": "A", "a2": "A", "b1": "B"})
    test_ark = _write_ark(tmp_path / "test.ark", {k: np.array(v) for k, v in test.items()})
    return train_ark, utt2label, test_ark


def test_centroid_classifier_euclidean_average_of_segments(tool, tmp_path):
    # File 100032-3-0-0 (an UrbanSound name, dashes and all): segments at 6, 1 and 2 on the
    # axis. The first is nearer B (4 against 6), yet the average distance is 3 to A and 7 to B.
    test = {"100032-3-0-0-0000000-0000100": [6, 0], "100032-3-0-0-0000100-0000200": [1, 0],
            "100032-3-0-0-0000200-0000300": [2, 0], "whole": [9, 0]}
    train_ark, utt2label, test_ark = _centroid_setup(tmp_path, test)
    tool("metricvox-score-classes", "--method", "centroid", "--train-embeddings", train_ark,
         "--train-utt2label", utt2label, "--distance", "euclidean", test_ark,
         tmp_path / "scores")
    scores = read_class_scores(tmp_path / "scores")
    assert scores.utts == ["100032-3-0-0", "whole"] and scores.classes == ["A", "B"]
    np.testing.assert_allclose(scores.scores, [[-3.0, -7.0], [-9.0, -1.0]], atol=1e-6)
    assert list(scores.predictions()) == [0, 1]


def test_centroid_classifier_cosine_default(tool, tmp_path):
    # Cosine distance looks at directions only: class A lies along x, class B along y.
    train = {"a1-0000000-0000100": [2, 0], "a1-0000100-0000200": [4, 0],
             "b1-0000000-0000100": [0, 1], "b1-0000100-0000200": [0, 3]}
    test = {"t-0000000-0000100": [1, 2], "t-0000100-0000200": [1, 0],
            "t-0000200-0000300": [2, 1]}
    train_ark = _write_ark(tmp_path / "train.ark", {k: np.array(v) for k, v in train.items()})
    utt2label = _write_labels(tmp_path / "utt2label", {"a1": "A", "b1": "B"})
    test_ark = _write_ark(tmp_path / "test.ark", {k: np.array(v) for k, v in test.items()})
    tool("metricvox-score-classes", "--method", "centroid", "--train-embeddings", train_ark,
         "--train-utt2label", utt2label, test_ark, tmp_path / "scores")
    scores = read_class_scores(tmp_path / "scores")
    # Centroids (3, 0) and (0, 2): directions (1, 0) and (0, 1). Cosines of the segments:
    # to A 1/sqrt5, 1, 2/sqrt5; to B 2/sqrt5, 0, 1/sqrt5. The first segment is nearer B.
    root5 = math.sqrt(5)
    distance_a = 1 - (1 / root5 + 1 + 2 / root5) / 3
    distance_b = 1 - (2 / root5 + 0 + 1 / root5) / 3
    np.testing.assert_allclose(scores.scores, [[-distance_a, -distance_b]], atol=1e-6)
    assert scores.classes[scores.predictions()[0]] == "A"


def test_score_classes_errors(tool, tmp_path):
    train_ark, utt2label, test_ark = _centroid_setup(tmp_path, {"t": [1, 0, 0]})
    proc = tool("metricvox-score-classes", "--method", "centroid", "--train-embeddings",
                train_ark, "--train-utt2label", utt2label, test_ark, tmp_path / "scores",
                check=False)
    assert_one_line_error(proc, "test.ark", "dimension 3")
    assert not (tmp_path / "scores").exists()
    (tmp_path / "bad_labels").write_text("a1 A\nb1 B\nzz C\n")
    segments = segments_by_utterance(read_matrices(train_ark), train_ark)
    with pytest.raises(InputError, match="bad_labels:3: class 'C' has no training embedding"):
        class_centroids(segments, read_utt2label(tmp_path / "bad_labels"))


def test_train_class_gmms_errors(tool, tmp_path):
    rng = np.random.default_rng(0)
    feats = _write_ark(tmp_path / "feats.ark", {"u1": rng.normal(size=(50, 2)),
                                                "u2": np.full((6, 2), np.nan)})
    labels = _write_labels(tmp_path / "utt2label", {"u1": "x", "u2": "y"})
    proc = tool("metricvox-train-class-gmms", "--utt2label", labels, "--num-components", "2",
                feats, tmp_path / "model", check=False)
    assert_one_line_error(proc, "feats.ark", "u2")
    assert not (tmp_path / "model" / "classes").exists()
    feats = _write_ark(tmp_path / "feats2.ark", {"u1": rng.normal(size=(50, 2)),
                                                 "u2": rng.normal(size=(1, 2))})
    with StatsJobs(1) as jobs, pytest.raises(InputError, match="utt2label:2: class 'y' has 1 "):
        train_class_gmms(FeatureFrames(feats), read_utt2label(labels),
                         UbmOptions(num_components=2, num_frames_init=100), jobs)


def test_svm_model_file_of_three_classes_decides_as_sklearn(tmp_path):
    """The .npz model (plain arrays) gives scikit-learn's own decision values, one per class."""
    rng = np.random.default_rng(4)
    frames = np.concatenate([rng.normal(loc=3 * c, size=(60, 5)) for c in range(3)])
    targets = np.repeat(["a", "b", "c"], 60)
    pipeline = make_pipeline(StandardScaler(), LinearSVC(random_state=0)).fit(frames, targets)
    save_class_svm(pipeline, tmp_path / "svm.npz")
    model = load_class_svm(tmp_path / "svm.npz")
    test = rng.normal(loc=2, scale=3, size=(25, 5))
    assert list(model.classes_) == ["a", "b", "c"] and model.n_features_in_ == 5
    np.testing.assert_allclose(model.decision_function(test), pipeline.decision_function(test),
                               rtol=1e-12, atol=1e-12)
