"""Trial scoring in blocks: every trial, on either side of a block boundary, scores what a
per-trial formula worked here gives (cosine from its definition, PLDA from the joint
Gaussian densities), with crops, multi-utterance models and either averaging."""
import numpy as np
import pytest

from metricvox.backend import score_normalization, trial_scoring, trial_sides
from metricvox.backend.plda_backend import PldaBackend
from metricvox.backend.plda_training import diagonalize
from metricvox.backend.score_normalization import normalize_scores
from metricvox.backend.trial_scoring import score_trials
from metricvox.data.enroll_map import EnrollMap
from metricvox.data.tables import Row
from metricvox.data.trials import Trial
from metricvox.errors import InputError
from plda_reference import joint_log_ratio


def _cosine(a, b):
    """Mean cosine over all row pairs of two (K, D) crop sets, one pair at a time."""
    return np.mean([[np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y)) for y in b] for x in a])


def _enroll_map(models):
    return EnrollMap("map", [Row(name, " ".join(utts), i + 1) for i, (name, utts) in
                             enumerate(models.items())])


def test_cosine_scores_across_the_real_block_boundary_equal_the_formula():
    rng = np.random.default_rng(0)
    table = {f"u{i:04d}": rng.normal(size=8).astype(np.float32) for i in range(2000)}
    keys = list(table)
    num_trials = trial_scoring.BLOCK_PAIRS + 500
    pairs = rng.integers(0, len(keys), size=(num_trials, 2))
    trials = [Trial(keys[a], keys[b], False, i + 1) for i, (a, b) in enumerate(pairs)]
    got = np.array([s for _, _, s in score_trials(trials, table, table)])
    vectors = np.stack([table[k] for k in keys]).astype(np.float64)
    enroll, test = vectors[pairs[:, 0]], vectors[pairs[:, 1]]
    expected = (enroll * test).sum(1) / np.sqrt((enroll ** 2).sum(1) * (test ** 2).sum(1))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    boundary = trial_scoring.BLOCK_PAIRS
    for i in range(boundary - 2, boundary + 2):
        assert got[i] == pytest.approx(_cosine(enroll[i:i + 1], test[i:i + 1]), abs=1e-12)


@pytest.mark.parametrize("average", ["embedding", "score"])
def test_crops_and_models_in_small_blocks_score_the_mean_over_crop_pairs(monkeypatch, average):
    monkeypatch.setattr(trial_scoring, "BLOCK_PAIRS", 5)   # many blocks, most trials astride one
    monkeypatch.setattr(trial_sides, "PREPARE_ROWS", 4)
    rng = np.random.default_rng(1)
    table = {f"u{i}": rng.normal(size=(1 + i % 3, 4)) for i in range(12)}   # 1, 2 or 3 crops
    models = {"m1": ["u0", "u1", "u2"], "m2": ["u3"], "m3": ["u4", "u5"], "m4": ["u6", "u7"]}
    trials = [Trial(m, f"u{t}", False, None) for m in models for t in range(6, 12)]
    got = {(e, t): s for e, t, s in score_trials(trials, table, table, average=average,
                                                 enroll_map=_enroll_map(models))}
    for trial in trials:
        members = [table[u] for u in models[trial.enroll]]
        test = table[trial.test]
        if average == "embedding" and len(members) > 1:
            expected = _cosine(np.concatenate(members).mean(axis=0, keepdims=True), test)
        else:
            expected = np.mean([_cosine(rows, test) for rows in members])
        assert got[(trial.enroll, trial.test)] == pytest.approx(expected, abs=1e-12), trial


def _random_covariance(rng, dim, scale):
    factor = rng.normal(size=(dim, dim))
    return scale * (factor @ factor.T / dim + 0.2 * np.eye(dim))


def _plda_case(rng, length_norm):
    dim = 4
    mean = rng.normal(size=dim)
    between, within = _random_covariance(rng, dim, 2.0), _random_covariance(rng, dim, 1.0)
    backend = PldaBackend(np.zeros(dim), None, None, length_norm, diagonalize(mean, between, within))
    table = {f"u{i}": mean + rng.normal(size=dim) * 2 for i in range(10)}
    models = {"m1": ["u0"], "m2": ["u1", "u2"], "m3": ["u3", "u4", "u5"]}
    trials = [Trial(m, f"u{t}", False, None) for m in models for t in range(6, 10)]
    got = {(e, t): s for e, t, s in score_trials(trials, table, table, metric=backend,
                                                 enroll_map=_enroll_map(models))}
    return backend, (mean, between, within), table, models, trials, got


def test_plda_scores_in_small_blocks_are_the_joint_density_ratio(monkeypatch):
    # Models of 1, 2 and 3 utterances share blocks, so one back-end call sees several counts.
    monkeypatch.setattr(trial_scoring, "BLOCK_PAIRS", 5)
    _, (mean, between, within), table, models, trials, got = _plda_case(np.random.default_rng(2),
                                                                         length_norm=False)
    for trial in trials:
        members = np.stack([table[u] for u in models[trial.enroll]])
        expected = joint_log_ratio(mean, between, within, members.mean(axis=0), len(members),
                                   table[trial.test])
        assert got[(trial.enroll, trial.test)] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_plda_scores_with_length_norm_in_plda_space(monkeypatch):
    # The chain with length norm, worked here: each vector scaled to norm sqrt(dim), taken
    # to PLDA space (within I, between diag(psi)); a model's average of n of them scaled to
    # squared norm dim under covariance psi + 1/n (Kaldi), a test vector likewise with n = 1;
    # then the joint densities of that space.
    monkeypatch.setattr(trial_scoring, "BLOCK_PAIRS", 3)
    monkeypatch.setattr(trial_sides, "PREPARE_ROWS", 2)    # prepared a few rows at a time
    backend, _, table, models, trials, got = _plda_case(np.random.default_rng(3), length_norm=True)
    plda = backend.plda
    psi, dim = plda.psi, plda.psi.size

    def in_plda_space(x):
        return plda.transform @ (x * np.sqrt(dim) / np.linalg.norm(x) - plda.mean)

    def normalized(u, n):
        return u * np.sqrt(dim / np.sum(u ** 2 / (psi + 1.0 / n)))

    for trial in trials:
        members = np.stack([in_plda_space(table[u]) for u in models[trial.enroll]])
        n = len(members)
        expected = joint_log_ratio(np.zeros(dim), np.diag(psi), np.eye(dim),
                                   normalized(members.mean(axis=0), n), n,
                                   normalized(in_plda_space(table[trial.test]), 1))
        assert got[(trial.enroll, trial.test)] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_asnorm_in_small_blocks_matches_per_side_statistics(monkeypatch):
    monkeypatch.setattr(score_normalization, "BLOCK_ROWS", 2)
    rng = np.random.default_rng(4)
    table = {f"u{i}": rng.normal(size=(1 + i % 2, 3)) for i in range(8)}
    cohort = {f"c{i}": rng.normal(size=(1 + i % 3, 3)) for i in range(7)}
    models = {"m1": ["u0", "u1"], "m2": ["u2"]}
    raw = {(m, f"u{t}"): float(rng.normal()) for m in models for t in range(3, 8)}

    def stats(rows_of_parts, top):
        scores = np.mean([[_cosine(rows, c) for c in cohort.values()] for rows in rows_of_parts], axis=0)
        scores = np.sort(scores)[-top:]
        return scores.mean(), scores.std(ddof=1)

    for average in ("embedding", "score"):
        got = {(e, t): s for e, t, s in normalize_scores(
            raw, table, table, cohort, trial_scoring.SimilarityScorer("cosine"), top_n=4,
            enroll_map=_enroll_map(models), average=average)}
        for (e, t), score in raw.items():
            members = [table[u] for u in models[e]]
            if average == "embedding" and len(members) > 1:
                members = [np.concatenate(members).mean(axis=0, keepdims=True)]
            (me, se), (mt, st) = stats(members, 4), stats([table[t]], 4)
            expected = 0.5 * ((score - me) / se + (score - mt) / st)
            assert got[(e, t)] == pytest.approx(expected, abs=1e-12), (average, e, t)


def test_embeddings_of_two_dimensions_are_an_error_naming_both():
    table = {"a": np.ones(3), "b": np.ones(4)}
    with pytest.raises(InputError, match="'b' has 4, 'a' has 3"):
        score_trials([Trial("a", "b", True, 1)], table, table, where="trials")
    with pytest.raises(InputError, match="enrollment 'a' has 3, test 'b' has 4"):
        score_trials([Trial("a", "b", True, 1)], {"a": table["a"]}, {"b": table["b"]})


def test_a_non_finite_embedding_is_named_whichever_block_it_is_prepared_in(monkeypatch):
    monkeypatch.setattr(trial_sides, "PREPARE_ROWS", 2)
    table = {f"u{i}": np.ones((1 + i % 2, 3)) for i in range(6)}
    table["u4"][0, 1] = np.nan
    trials = [Trial("u0", f"u{i}", False, i) for i in range(1, 6)]
    with pytest.raises(InputError, match="'u4' has NaN"):
        score_trials(trials, table, table, where="trials")
