"""EER and minDCF against hand-worked values, brute force and scikit-learn's ROC."""
import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_curve

from metricvox.errors import InputError
from metricvox.metrics import equal_error_rate, min_dcf

# Worked by hand (see the thresholds 0.3 -> 0.4 -> 0.7 -> 0.8 in the comments below).
TARGETS = [0.9, 0.8, 0.3]
NONTARGETS = [0.7, 0.2, 0.1, 0.4]


def test_eer_worked_by_hand():
    # Accepting score >= 0.4 misses 1/3 of targets and admits 2/4 non-targets; at >= 0.7,
    # still 1/3 missed but 1/4 admitted. p_miss stays 1/3 while p_fa falls through 1/3.
    eer, threshold = equal_error_rate(TARGETS, NONTARGETS)
    assert eer == pytest.approx(1 / 3)
    assert threshold == pytest.approx(0.7)


def test_min_dcf_worked_by_hand():
    # Best point: threshold 0.8 -> p_miss 1/3, p_fa 0.
    # p=0.5: cost 0.5/3 = 1/6, default cost 0.5 -> 1/3. p=0.01: 0.01/3 over 0.01 -> 1/3.
    assert min_dcf(TARGETS, NONTARGETS, p_target=0.5) == pytest.approx(1 / 3)
    assert min_dcf(TARGETS, NONTARGETS, p_target=0.01) == pytest.approx(1 / 3)
    # Costs: C_miss 10 at p 0.5 -> at threshold 0.3 (p_miss 0, p_fa 1/2): 0.25; default 0.5 -> 0.5.
    assert min_dcf(TARGETS, NONTARGETS, p_target=0.5, c_miss=10) == pytest.approx(0.5)


def test_all_scores_tied_is_chance():
    assert equal_error_rate([1.0, 1.0], [1.0, 1.0, 1.0])[0] == pytest.approx(0.5)
    assert min_dcf([1.0, 1.0], [1.0, 1.0], p_target=0.3) == pytest.approx(1.0)


def test_perfect_separation():
    assert equal_error_rate([2.0, 3.0], [0.0, 1.0])[0] == 0.0
    assert min_dcf([2.0, 3.0], [0.0, 1.0]) == 0.0


def _brute_force_min_dcf(targets, nontargets, p, c_miss, c_fa):
    best = np.inf
    for threshold in np.append(np.concatenate([targets, nontargets]), np.inf):
        p_miss = np.mean(targets < threshold)
        p_fa = np.mean(nontargets >= threshold)
        best = min(best, c_miss * p_miss * p + c_fa * p_fa * (1 - p))
    return best / min(c_miss * p, c_fa * (1 - p))


def test_min_dcf_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    targets = np.round(rng.normal(1.5, 1, 700), 1)      # rounding makes many ties
    nontargets = np.round(rng.normal(0, 1, 1300), 1)
    for p, c_miss, c_fa in [(0.01, 1, 1), (0.05, 1, 1), (0.3, 2, 1)]:
        assert min_dcf(targets, nontargets, p, c_miss, c_fa) == pytest.approx(
            _brute_force_min_dcf(targets, nontargets, p, c_miss, c_fa))


def test_eer_agrees_with_sklearn_roc_on_100k_trials():
    rng = np.random.default_rng(1)
    n = 100_000
    labels = rng.random(n) < 0.5
    scores = np.where(labels, rng.normal(2.0, 1.0, n), rng.normal(0.0, 1.0, n))
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    # sklearn's points run from (fpr 0, fnr 1) to (fpr 1, fnr 0): find the crossing.
    k = int(np.argmax(fnr <= fpr))
    a = (fnr[k - 1] - fpr[k - 1]) / ((fnr[k - 1] - fpr[k - 1]) - (fnr[k] - fpr[k]))
    reference = fpr[k - 1] + a * (fpr[k] - fpr[k - 1])
    eer, _ = equal_error_rate(scores[labels], scores[~labels])
    assert eer == pytest.approx(reference, abs=2e-5)
    # and both agree with the Gaussian theory: EER = Phi(-d/2) for d = 2.
    assert eer == pytest.approx(norm.cdf(-1.0), abs=0.005)


def test_one_sided_or_nan_scores_are_input_errors():
    with pytest.raises(InputError, match="both target and non-target"):
        equal_error_rate([], [0.1])
    with pytest.raises(InputError, match="NaN"):
        equal_error_rate([np.nan, 1.0], [0.1])
    with pytest.raises(InputError, match="p-target"):
        min_dcf([1.0], [0.0], p_target=1.0)
