"""metricvox-fuse-scores: prior-weighted logistic-regression fusion and z-sum fusion."""
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from conftest import assert_one_line_error, run_tool
from metricvox.metrics import equal_error_rate

PRIOR = 0.05


def _systems(rng, num_trials):
    """Labels and two systems' scores of the same trials, with independent noise and scales."""
    is_target = rng.random(num_trials) < 0.2
    evidence = 2.0 * is_target
    first = evidence + rng.normal(size=num_trials)
    second = 3.0 * (evidence + 1.3 * rng.normal(size=num_trials)) - 4.0
    return is_target, np.stack([first, second], axis=1)


def _write(directory, name, is_target, scores):
    keys = [(f"e{i:04d}", f"t{i:04d}") for i in range(len(is_target))]
    (directory / f"{name}.trials").write_text(
        "".join(f"{e} {t} {'target' if y else 'nontarget'}\n" for (e, t), y in zip(keys, is_target)))
    for s in range(scores.shape[1]):
        (directory / f"{name}.s{s + 1}").write_text(
            "".join(f"{e} {t} {v:.9f}\n" for (e, t), v in zip(keys, scores[:, s])))
    return keys


def _read(path):
    return np.array([float(line.split()[2]) for line in path.read_text().splitlines()])


def _eer(is_target, scores):
    return equal_error_rate(scores[is_target], scores[~is_target])[0]


@pytest.fixture(scope="module")
def fused(tmp_path_factory):
    d = tmp_path_factory.mktemp("fusion")
    rng = np.random.default_rng(0)
    dev_target, dev = _systems(rng, 4000)
    eval_target, evaluation = _systems(rng, 4000)
    _write(d, "dev", dev_target, dev)
    _write(d, "eval", eval_target, evaluation)
    # Rounded as the score files hold them, so the references below fit the same numbers.
    dev = np.stack([_read(d / "dev.s1"), _read(d / "dev.s2")], axis=1)
    evaluation = np.stack([_read(d / "eval.s1"), _read(d / "eval.s2")], axis=1)
    common = ["--train-trials", d / "dev.trials", "--train-scores", f"{d / 'dev.s1'},{d / 'dev.s2'}",
              "--apply-scores", f"{d / 'eval.s1'},{d / 'eval.s2'}"]
    run_tool("metricvox-fuse-scores", "--prior", PRIOR, *common, d / "logreg")
    run_tool("metricvox-fuse-scores", "--method", "zsum", *common, d / "zsum")
    return d, dev_target, dev, eval_target, evaluation


def test_fusion_is_no_worse_than_the_better_system(fused):
    d, _, _, eval_target, evaluation = fused
    better = min(_eer(eval_target, evaluation[:, 0]), _eer(eval_target, evaluation[:, 1]))
    assert _eer(eval_target, _read(d / "logreg")) <= better
    assert _eer(eval_target, _read(d / "zsum")) <= better


def test_logistic_fusion_weights_are_the_prior_weighted_optimum(fused):
    d, dev_target, dev, _, evaluation = fused
    targets, nontargets = dev[dev_target], dev[~dev_target]
    shift = logit(PRIOR)

    # BOSARIS's objective, written out: prior-weighted cross-entropy with the logit(prior) shift.
    def objective(params):
        w, b = params[:2], params[2]
        return (PRIOR * np.mean(np.logaddexp(0, -(targets @ w + b + shift)))
                + (1 - PRIOR) * np.mean(np.logaddexp(0, nontargets @ w + b + shift)))

    reference = minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    # scikit-learn fitted here independently, with the class weights as sample weights.
    weights = np.where(dev_target, PRIOR / dev_target.sum(), (1 - PRIOR) / (~dev_target).sum())
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000)
    sk.fit(dev, dev_target, sample_weight=weights * len(weights))
    np.testing.assert_allclose(sk.coef_[0], reference[:2], rtol=1e-3)
    assert sk.intercept_[0] - shift == pytest.approx(reference[2], rel=1e-3)
    # The tool's fused scores are those of the reference weights (to the file's 6 decimals).
    np.testing.assert_allclose(_read(d / "logreg"), evaluation @ reference[:2] + reference[2],
                               atol=2e-5, rtol=1e-4)
    # Calibrated: the fused dev scores, as LLRs, leave the prior-weighted targets' posterior
    # matching their share (the optimum's intercept condition).
    dev_llr = dev @ reference[:2] + reference[2]
    assert (PRIOR * np.mean(expit(-(dev_llr[dev_target] + shift)))
            == pytest.approx((1 - PRIOR) * np.mean(expit(dev_llr[~dev_target] + shift)), rel=1e-4))


def test_zsum_is_the_sum_of_dev_z_normalised_scores(fused):
    d, _, dev, _, evaluation = fused
    expected = ((evaluation - dev.mean(0)) / dev.std(0)).sum(axis=1)
    np.testing.assert_allclose(_read(d / "zsum"), expected, atol=2e-6)


def test_missing_trials_are_counted_and_no_common_trial_is_an_error(fused, tmp_path):
    d, *_ = fused
    lines = (d / "eval.s2").read_text().splitlines()
    (tmp_path / "partial").write_text("\n".join(lines[10:]) + "\n")
    proc = run_tool("metricvox-fuse-scores", "--train-trials", d / "dev.trials", "--train-scores",
                    f"{d / 'dev.s1'},{d / 'dev.s2'}", "--apply-scores",
                    f"{d / 'eval.s1'},{tmp_path / 'partial'}", "-")
    assert "10 trials are not scored by every system" in proc.stderr
    assert len(proc.stdout.decode().splitlines()) == len(lines) - 10
    (tmp_path / "other").write_text("x y 1.0\n")
    proc = run_tool("metricvox-fuse-scores", "--train-trials", d / "dev.trials", "--train-scores",
                    f"{d / 'dev.s1'},{tmp_path / 'other'}", "--apply-scores",
                    f"{d / 'eval.s1'},{d / 'eval.s2'}", tmp_path / "out", check=False)
    assert_one_line_error(proc, "no trial is scored in every one of", "other")
    assert not (tmp_path / "out").exists()
    proc = run_tool("metricvox-fuse-scores", "--train-trials", d / "dev.trials", "--train-scores",
                    f"{d / 'dev.s1'},{d / 'dev.s2'}", "--apply-scores", d / "eval.s1", "-",
                    check=False)
    assert_one_line_error(proc, "--train-scores names 2 files and --apply-scores 1")
