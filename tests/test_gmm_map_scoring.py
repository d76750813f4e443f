"""MAP adaptation of the means and GMM-UBM log-likelihood-ratio scoring: the formulas worked
by hand (scipy densities), metricvox-map-adapt and metricvox-score --backend gmm-ubm on
synthetic speakers, and their errors on bad input."""
import kaldiio
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from conftest import assert_one_line_error, run_tool
from metricvox.data.trials import Trial
from metricvox.errors import InputError
from metricvox.gmm.estep import accumulate
from metricvox.gmm.gmm_ubm_scoring import llr_score, score_trials
from metricvox.gmm.map_adaptation import adapt_models, adapted_means
from metricvox.gmm.model import Gmm
from metricvox.metrics import equal_error_rate


def _ubm(kind, rng=None, components=3, dim=2):
    rng = rng or np.random.default_rng(0)
    a = rng.normal(size=(components, dim, dim))
    model = Gmm(rng.dirichlet(np.ones(components) * 4), rng.normal(0, 2, (components, dim)),
                a @ a.transpose(0, 2, 1) + 0.5 * np.eye(dim))
    return model if kind == "full" else model.to_diag()


def _component_log_densities(model, means, frames):
    """(T, C) log w_c + log N(x_t; means_c, S_c), straight from scipy."""
    full = model.to_full().covars
    return np.stack([np.log(model.weights[c])
                     + multivariate_normal(means[c], full[c]).logpdf(frames)
                     for c in range(model.num_components)], axis=1)


@pytest.mark.parametrize("kind", ["diag", "full"])
def test_map_means_worked_by_hand(kind):
    rng = np.random.default_rng(1)
    ubm = _ubm(kind, rng)
    frames = rng.normal(1.0, 1.5, (40, 2))
    joint = _component_log_densities(ubm, ubm.means, frames)
    gamma = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    n, f = gamma.sum(0), gamma.T @ frames
    stats = accumulate(ubm, frames, None)
    for r in (16.0, 0.0, 1e9):
        expected = (f + r * ubm.means) / (n + r)[:, None]
        np.testing.assert_allclose(adapted_means(ubm, stats, r), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(adapted_means(ubm, stats, 0.0), f / n[:, None], rtol=1e-9)
    np.testing.assert_allclose(adapted_means(ubm, stats, 1e9), ubm.means, atol=1e-6)


@pytest.mark.parametrize("kind", ["diag", "full"])
def test_llr_worked_by_hand_with_scipy(kind):
    rng = np.random.default_rng(2)
    ubm = _ubm(kind, rng)
    means = ubm.means + rng.normal(0, 0.5, ubm.means.shape)
    frames = rng.normal(0.5, 2.0, (30, 2))
    speaker = logsumexp(_component_log_densities(ubm, means, frames), axis=1)
    background = logsumexp(_component_log_densities(ubm, ubm.means, frames), axis=1)
    assert llr_score(ubm, means, frames) == pytest.approx(np.mean(speaker - background), rel=1e-10)
    assert llr_score(ubm, means, frames, top_c=3) == pytest.approx(llr_score(ubm, means, frames),
                                                                  rel=1e-12)
    # Top-1: each frame scored on the UBM's best component only, on both sides.
    best = _component_log_densities(ubm, ubm.means, frames).argmax(1)
    rows = np.arange(len(frames))
    top1 = (_component_log_densities(ubm, means, frames)[rows, best]
            - _component_log_densities(ubm, ubm.means, frames)[rows, best])
    assert llr_score(ubm, means, frames, top_c=1) == pytest.approx(top1.mean(), rel=1e-10)


def test_adapt_models_per_utterance_and_per_map_entry(caplog):
    ubm = _ubm("diag")
    rng = np.random.default_rng(3)
    table = {u: rng.normal(size=(20, 2)) for u in ("a1", "a2", "b1")}
    per_utterance = dict(adapt_models(ubm, table.items(), relevance=4.0))
    assert list(per_utterance) == ["a1", "a2", "b1"]
    np.testing.assert_allclose(per_utterance["b1"],
                               adapted_means(ubm, accumulate(ubm, table["b1"], None), 4.0))
    enroll = {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    models = dict(adapt_models(ubm, table.items(), relevance=4.0, enroll_map=enroll))
    both = np.concatenate([table["a1"], table["a2"]])
    np.testing.assert_allclose(models["A"], adapted_means(ubm, accumulate(ubm, both, None), 4.0))
    assert ("1 of the 4 utterances of the enrollment map have no features (first: 'b2')"
            in caplog.text)
    with pytest.raises(InputError, match=r"spk2utt: model 'C': none of its 1 utterances"):
        list(adapt_models(ubm, table.items(), enroll_map={"C": ["zz"]}, where="ark:f",
                          map_path="spk2utt"))
    with pytest.raises(InputError, match=r"ark:f: utterance 'x': features of dimension 3 do not "
                                         r"match the GMM's dimension 2"):
        list(adapt_models(ubm, [("x", np.zeros((4, 3)))], where="ark:f"))


def test_trial_scoring_skips_missing_sides_and_refuses_nothing(caplog):
    ubm = _ubm("diag")
    rng = np.random.default_rng(4)
    means = {"A": ubm.means + 0.3}
    test = [("t1", rng.normal(size=(10, 2)))]
    trials = [Trial("A", "t1", True, 1), Trial("A", "t2", False, 2), Trial("B", "t1", False, 3)]
    scored = score_trials(trials, ubm, means, iter(test), where="trials")
    assert scored == [("A", "t1", pytest.approx(llr_score(ubm, means["A"], test[0][1])))]
    assert "2 of 3 trials lack a model or test features" in caplog.text
    with pytest.raises(InputError, match="trials: none of the 1 trials has both a model"):
        score_trials(trials[2:], ubm, means, iter(test), where="trials")
    with pytest.raises(InputError, match=r"ark:m: model 'A': adapted means of shape \(3, 3\)"):
        score_trials(trials, ubm, {"A": np.zeros((3, 3))}, iter(test), enroll_where="ark:m")


def _speaker_frames(rng, offset, centres, frames=200):
    labels = rng.integers(0, len(centres), frames)
    return (centres[labels] + offset[labels] + rng.normal(0, 0.6, (frames, centres.shape[1]))
            ).astype(np.float32)


def test_map_adapt_and_score_tools_separate_synthetic_speakers(tmp_path):
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 3, (5, 4))
    background = {f"bg{s}-{u}": _speaker_frames(rng, rng.normal(0, 1.0, (5, 4)), centres)
                  for s in range(8) for u in range(3)}
    kaldiio.save_ark(str(tmp_path / "bg.ark"), background)
    speakers = {f"s{s}": rng.normal(0, 1.0, (5, 4)) for s in range(5)}
    evaluation = {f"{s}-u{u}": _speaker_frames(rng, offset, centres)
                  for s, offset in speakers.items() for u in range(4)}
    kaldiio.save_ark(str(tmp_path / "eval.ark"), evaluation)
    (tmp_path / "spk2utt").write_text("".join(
        f"{s} {s}-u0 {s}-u1{' gone-u9' if s == 's0' else ''}\n" for s in speakers))
    tests = [f"{s}-u{u}" for s in speakers for u in (2, 3)]
    trials = [(s, t, s == t.split("-")[0]) for s in speakers for t in tests]
    (tmp_path / "trials").write_text("".join(f"{s} {t} {'target' if y else 'nontarget'}\n"
                                             for s, t, y in trials) + "s9 s0-u2 nontarget\n")
    run_tool("metricvox-train-ubm", "--num-components", "8", "--num-iters-init", "6",
             "--num-iters", "2", f"ark:{tmp_path}/bg.ark", tmp_path / "ubm.npz")
    adapt = run_tool("metricvox-map-adapt", "--ubm", tmp_path / "ubm.npz", "--enroll-map",
                     tmp_path / "spk2utt", f"ark:{tmp_path}/eval.ark", f"ark:{tmp_path}/means.ark")
    assert "1 of the 11 utterances of the enrollment map have no features" in adapt.stderr
    score = run_tool("metricvox-score", "--trials", tmp_path / "trials", "--backend", "gmm-ubm",
                     "--ubm", tmp_path / "ubm.npz", f"ark:{tmp_path}/means.ark",
                     f"ark:{tmp_path}/eval.ark", tmp_path / "scores")
    assert "1 of 51 trials lack a model or test features" in score.stderr
    rows = [line.split() for line in (tmp_path / "scores").read_text().splitlines()]
    assert [(e, t) for e, t, _ in rows] == [(s, t) for s, t, _ in trials]
    scores = np.array([float(v) for _, _, v in rows])
    labels = np.array([y for _, _, y in trials])
    eer, _ = equal_error_rate(scores[labels], scores[~labels])
    assert eer < 0.15
    # The tool's score is the library's LLR of the means it wrote.
    ubm = Gmm.load(tmp_path / "ubm.npz")
    means = dict(kaldiio.load_ark(str(tmp_path / "means.ark")))
    assert scores[0] == pytest.approx(llr_score(ubm, means["s0"], evaluation["s0-u2"]), rel=1e-5)


def test_tool_errors_name_the_table_and_key(tmp_path):
    ubm = _ubm("diag", components=2, dim=3)
    ubm.save(tmp_path / "ubm.npz")
    kaldiio.save_ark(str(tmp_path / "feats.ark"), {"u1": np.zeros((5, 4), np.float32)})
    kaldiio.save_ark(str(tmp_path / "means.ark"), {"m": ubm.means.astype(np.float32)})
    (tmp_path / "trials").write_text("m u1 target\n")
    proc = run_tool("metricvox-map-adapt", "--ubm", tmp_path / "ubm.npz",
                    f"ark:{tmp_path}/feats.ark", f"ark:{tmp_path}/out.ark", check=False)
    assert_one_line_error(proc, "feats.ark", "'u1'", "dimension 4", "dimension 3")
    assert not (tmp_path / "out.ark").exists()
    proc = run_tool("metricvox-score", "--trials", tmp_path / "trials", "--backend", "gmm-ubm",
                    "--ubm", tmp_path / "ubm.npz", f"ark:{tmp_path}/means.ark",
                    f"ark:{tmp_path}/feats.ark", tmp_path / "scores", check=False)
    assert_one_line_error(proc, "feats.ark", "'u1'", "dimension 4")
    proc = run_tool("metricvox-score", "--trials", tmp_path / "trials", "--backend", "gmm-ubm",
                    f"ark:{tmp_path}/means.ark", f"ark:{tmp_path}/feats.ark", "-", check=False)
    assert_one_line_error(proc, "--ubm")
