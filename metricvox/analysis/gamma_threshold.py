"""The 95% threshold of the INS under the hypothesis of stationarity.

The J surrogates' statistics theta_j sample the statistic's distribution for a
stationary signal with the same spectrum. As Borgnat et al. (2010, section IV-B)
observe, that distribution is well fitted by a Gamma law; the threshold is the
square root of the fitted law's ``level`` quantile divided by the surrogates' mean
(the INS of a stationary signal is sqrt(theta / mean theta_j)). The Gamma
parameters are the maximum-likelihood ones with the location fixed at 0
(scipy.stats.gamma.fit); when that fails to converge (a handful of nearly equal
thetas) the method of moments is used: shape = m^2/v, scale = v/m.
"""

import warnings

import numpy as np
import scipy.stats

DEFAULT_LEVEL = 0.95


def gamma_parameters(samples):
    """(shape, scale) of a Gamma law fitted to positive ``samples``."""
    samples = np.asarray(samples, dtype=np.float64)
    mean, variance = samples.mean(), samples.var()
    if not (mean > 0 and variance > 0):
        raise ValueError("a Gamma law needs positive samples that are not all equal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            shape, _, scale = scipy.stats.gamma.fit(samples, floc=0)
        except (RuntimeError, ValueError, FloatingPointError):
            shape = scale = np.nan
    if not (np.isfinite(shape) and np.isfinite(scale) and shape > 0 and scale > 0):
        shape, scale = mean * mean / variance, variance / mean
    return float(shape), float(scale)


def stationarity_threshold(surrogate_statistics, level=DEFAULT_LEVEL):
    """gamma: the INS a stationary signal stays below with probability ``level``."""
    shape, scale = gamma_parameters(surrogate_statistics)
    quantile = scipy.stats.gamma.ppf(level, shape, scale=scale)
    return float(np.sqrt(quantile / np.mean(surrogate_statistics)))
