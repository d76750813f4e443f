"""Linear fusion of several systems' scores: prior-weighted logistic regression or z-sum.

Both give a fused score ``w . s + b`` from the vector s of one trial's scores.

- ``logreg`` (BOSARIS/FoCal's linear fusion): w and b minimise the cross-entropy
  of the development trials with targets weighted prior / N_target and
  non-targets (1 - prior) / N_nontarget, with the sigmoid's argument being
  ``w . s + b + logit(prior)``; the fused score is then a calibrated
  log-likelihood ratio. Fitted with scikit-learn's LogisticRegression, without
  regularisation (C = inf).
- ``zsum``: the plain sum of each system's z-normalised score, its mean and
  (population) standard deviation taken over the development scores.
"""

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import logit

from metricvox.errors import InputError

log = logging.getLogger(__name__)

METHODS = ("logreg", "zsum")


@dataclass
class LinearFusion:
    weights: np.ndarray      # (S,) one per system
    offset: float

    def apply(self, matrix):
        """(N,) fused scores of an (N, S) matrix of trial scores."""
        return np.asarray(matrix, dtype=np.float64) @ self.weights + self.offset


def common_trials(score_tables, names, keys=None):
    """``(keys, matrix)``: the trials every table scores, and their (N, S) scores.

    ``keys`` fixes the trials wanted and their order (a trial list); otherwise they
    are the first table's. Trials missing from some table are counted in the log;
    none in common is an error naming the tables.
    """
    order = list(keys) if keys is not None else list(score_tables[0])
    everywhere = [k for k in order if all(k in table for table in score_tables)]
    if not everywhere:
        raise InputError(f"no trial is scored in every one of {', '.join(map(str, names))} "
                         f"(of {len(order)} trials)")
    candidates = order if keys is not None else dict.fromkeys(k for t in score_tables for k in t)
    missing = [k for k in candidates if not all(k in table for table in score_tables)]
    if missing:
        log.warning("%d trials are not scored by every system and are left out (first: '%s %s')",
                    len(missing), *missing[0])
    matrix = np.array([[table[k] for table in score_tables] for k in everywhere], dtype=np.float64)
    return everywhere, matrix


def train_logistic_fusion(matrix, is_target, prior=0.01):
    """The prior-weighted logistic-regression fusion of (N, S) development scores."""
    is_target = np.asarray(is_target, dtype=bool)
    num_targets, num_nontargets = int(is_target.sum()), int((~is_target).sum())
    if num_targets == 0 or num_nontargets == 0:
        raise InputError(f"fusion needs both target and non-target development trials, got "
                         f"{num_targets} target and {num_nontargets} non-target")
    if not 0.0 < prior < 1.0:
        raise InputError(f"the prior must be strictly between 0 and 1, got {prior}")
    # Imported here: scikit-learn takes seconds to import, which z-sum fusion and input
    # errors need not wait for.
    from sklearn.linear_model import LogisticRegression
    # Each class carries its prior's share of the total weight; rescaled to sum to N so
    # that the solver's tolerances see the usual loss scale (the minimum is unchanged).
    weights = np.where(is_target, prior / num_targets, (1.0 - prior) / num_nontargets)
    weights *= len(weights)
    # Standardised columns condition the solver; the fit is mapped back exactly.
    centre, scale = matrix.mean(axis=0), matrix.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=np.inf, solver="lbfgs", tol=1e-10, max_iter=10000)
    model.fit((matrix - centre) / scale, is_target, sample_weight=weights)
    coefficients = model.coef_[0] / scale
    offset = float(model.intercept_[0] - coefficients @ centre - logit(prior))
    return LinearFusion(coefficients, offset)


def train_zsum_fusion(matrix):
    """Sum of z-normalised scores, each system's statistics from (N, S) development scores."""
    mean, std = matrix.mean(axis=0), matrix.std(axis=0)
    if np.any(std == 0):
        raise InputError(f"the development scores of system {int(np.argmin(std)) + 1} do not "
                         "vary: cannot z-normalise")
    return LinearFusion(1.0 / std, float(-(mean / std).sum()))
