"""The M-step: a new GMM from accumulated statistics, with a variance floor and pruning.

- Components too little used to be estimated (occupancy below ``min_count``
  frames, or weight below ``min_weight``) are removed, and the weights of the
  others renormalised to sum to 1.
- Variances are floored at ``variance_floor`` times the global variance of the
  data (the variance of all the frames, which the statistics themselves give), so
  the floor follows the scale of the features. A full covariance S is floored in
  the metric of the floor F: the eigenvalues of F^-1/2 S F^-1/2 are raised to 1,
  which for a diagonal S and F is the per-dimension floor.
- A dimension with no variance at all (a constant feature) would get a zero
  floor; its global variance is itself raised to a small fraction of the average
  over dimensions first, and reported.

How many variances were floored and components removed is logged.
"""

import logging

import numpy as np

from metricvox.errors import InputError
from metricvox.gmm.model import Gmm

log = logging.getLogger(__name__)

# Fraction of the mean global variance below which a dimension counts as constant.
_DEGENERATE_FRACTION = 1e-6


def maximize(stats, *, variance_floor=0.01, min_count=10.0, min_weight=1e-4):
    """The maximum-likelihood GMM of the statistics (diagonal or full, as their second order)."""
    total = stats.zeroth.sum()
    if stats.num_frames == 0 or total <= 0:
        raise InputError("no frames to estimate the GMM from")
    keep = (stats.zeroth >= min_count) & (stats.zeroth / total >= min_weight)
    removed = int((~keep).sum())
    if removed:
        log.info("removed %d of %d components with occupancy below %g frames or weight below %g",
                 removed, keep.size, min_count, min_weight)
    if not keep.any():
        raise InputError(f"no component has enough data: {stats.num_frames} frames for "
                         f"{keep.size} components (each needs at least {min_count:g})")
    counts = stats.zeroth[keep]
    weights = counts / counts.sum()
    means = stats.first[keep] / counts[:, None]
    floor = _floor_covariance(stats, variance_floor)
    if stats.second_order == "diag":
        covars = stats.second[keep] / counts[:, None] - means ** 2
        floored = covars < floor
        covars = np.where(floored, floor, covars)
        num_floored = int(floored.sum())
    else:
        covars = stats.second[keep] / counts[:, None, None] - means[:, :, None] * means[:, None, :]
        covars, num_floored = _floor_full(0.5 * (covars + covars.transpose(0, 2, 1)), floor)
    if num_floored:
        log.info("floored %d variances (of %d) at %g x the global variance", num_floored,
                 covars.shape[0] * covars.shape[1], variance_floor)
    return Gmm(weights, means, covars)


def _floor_covariance(stats, factor):
    """``factor`` times the global variance (diag) or covariance (full), made positive definite."""
    covariance = stats.global_covariance()
    full = covariance.ndim == 2
    if full:
        values, vectors = np.linalg.eigh(0.5 * (covariance + covariance.T))
    else:
        values = covariance
    smallest = _DEGENERATE_FRACTION * max(values.mean(), 0.0)
    # A variance at the rounding level of the squared values is no variance.
    magnitude = np.abs(stats.first.sum(0) / stats.zeroth.sum()).max()
    if values.mean() <= 1e-12 * max(magnitude ** 2, np.finfo(float).tiny):
        raise InputError("the features do not vary at all: every frame is the same")
    degenerate = values < smallest
    if degenerate.any():
        which = ("direction(s) of the features" if full else "feature dimension(s) ("
                 + ", ".join(str(d) for d in np.flatnonzero(degenerate)) + ")")
        log.warning("%d %s have (almost) no variance: floored at %g x the average variance",
                    int(degenerate.sum()), which, _DEGENERATE_FRACTION * factor)
    values = np.maximum(values, smallest)
    return factor * ((vectors * values) @ vectors.T if full else values)


def _floor_full(covars, floor):
    """Each covariance with the eigenvalues of F^-1/2 S F^-1/2 raised to 1; and how many were."""
    chol = np.linalg.cholesky(floor)
    inverse = np.linalg.inv(chol)
    whitened = inverse @ covars @ inverse.T
    values, vectors = np.linalg.eigh(whitened)
    floored = values < 1.0
    if not floored.any():
        return covars, 0
    values = np.maximum(values, 1.0)
    rebuilt = chol @ ((vectors * values[:, None, :]) @ vectors.transpose(0, 2, 1)) @ chol.T
    # Components with nothing floored keep their covariance exactly.
    changed = floored.any(1)
    covars = covars.copy()
    covars[changed] = 0.5 * (rebuilt[changed] + rebuilt[changed].transpose(0, 2, 1))
    return covars, int(floored.sum())
