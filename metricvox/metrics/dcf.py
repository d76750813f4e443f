"""Minimum normalised detection cost (NIST SRE / VoxSRC definition)."""

import math

import numpy as np

from metricvox.errors import InputError
from metricvox.metrics.error_rates import error_rates


def min_dcf(target_scores, nontarget_scores, p_target=0.01, c_miss=1.0, c_fa=1.0):
    """min over thresholds of C_miss P_miss P_tar + C_fa P_fa (1 - P_tar), divided
    by the cost of the best system that looks at no data, min(C_miss P_tar, C_fa (1 - P_tar))."""
    if not 0.0 < p_target < 1.0:
        raise InputError(f"p-target must lie strictly between 0 and 1, got {p_target}")
    # Written so that NaN fails too: every comparison with NaN is false.
    if not (0.0 < c_miss < math.inf and 0.0 < c_fa < math.inf):
        raise InputError(f"costs must be positive and finite, got c-miss {c_miss} and c-fa {c_fa}")
    rates = error_rates(target_scores, nontarget_scores)
    cost = c_miss * rates.p_miss * p_target + c_fa * rates.p_fa * (1.0 - p_target)
    default_cost = min(c_miss * p_target, c_fa * (1.0 - p_target))
    return float(np.min(cost) / default_cost)
