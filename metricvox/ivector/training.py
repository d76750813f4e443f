"""Training the i-vector extractor by EM, as Kaldi's ivector-extractor-acc-stats and -est do.

Initialisation (Kaldi's ivector-extractor-init): prior offset o = 100, T_c[:, 0] = m_c / o
with m_c the UBM means, the other columns standard normal (seeded), Sigma_c the UBM's
full covariances.

E-step, per batch of utterances, with w~ = w + o e_1 (see :mod:`metricvox.ivector.extractor`)::

    Y_c += F_c E[w~]'                       (D x R, F_c not centred)
    R_c += N_c E[w~ w~']                    (R x R, kept packed: C x R(R+1)/2)
    and the sum and scatter E[w~ w~'] of the utterances, for the prior.

M-step (ivector-extractor-est)::

    T_c     = Y_c R_c^-1
    Sigma_c = (S_c - T_c Y_c' - Y_c T_c' + T_c R_c T_c') / N_c  =  (S_c - T_c Y_c') / N_c
              floored at 0.1 x the count-weighted mean covariance (Kaldi's variance floor),
    then minimum divergence: a whitening W of the i-vectors' covariance (posterior
    covariances included) and a Householder reflection H that turns the whitened mean
    into o' e_1 give V = H W; T_c <- T_c V^-1 and o <- o'. The model is unchanged (the
    prior is fitted, then absorbed into T), and w keeps a standard normal prior.

Components with fewer than ``min_count`` frames (Kaldi's --gaussian-min-count, 100)
keep their T_c and Sigma_c.

Objective: the marginal log-likelihood of the statistics per frame, w integrated out
and frame alignments fixed (:meth:`IvectorExtractor.log_likelihood`), computed in each
E-step for the model that E-step uses. EM cannot decrease it, except where the
variance floor acts. (Kaldi prints an auxiliary function, the expected log-likelihood
under the posterior of w, and its improvement; the marginal likelihood is what EM
actually guarantees.)
"""

import logging

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.ivector.extractor import (IvectorExtractor, component_chunks, packed_indices,
                                         unpack_symmetric)
from metricvox.progress import progress

log = logging.getLogger(__name__)

INITIAL_PRIOR_OFFSET = 100.0


def initial_extractor(ubm, ivector_dim, seed=0, num_gselect=20, min_post=0.025):
    """The extractor EM starts from (an InputError if ``ivector_dim`` is impossible)."""
    if not 1 <= ivector_dim <= ubm.num_components * ubm.dim:
        raise InputError(f"--ivector-dim {ivector_dim} must be between 1 and the UBM's "
                         f"components x feature dim = {ubm.num_components * ubm.dim}")
    rng = np.random.default_rng(seed)
    projection = np.empty((ubm.num_components, ubm.dim, ivector_dim))
    projection[:, :, 0] = ubm.means / INITIAL_PRIOR_OFFSET
    projection[:, :, 1:] = rng.standard_normal((ubm.num_components, ubm.dim, ivector_dim - 1))
    return IvectorExtractor(ubm, projection, ubm.to_full().covars, INITIAL_PRIOR_OFFSET,
                            num_gselect, min_post)


class EmAccumulator:
    """The E-step's sufficient statistics for one iteration."""

    def __init__(self, extractor):
        self.extractor = extractor
        components, dim, rank = (extractor.num_components, extractor.feat_dim,
                                 extractor.ivector_dim)
        self.indices = packed_indices(rank)
        self.linear = torch.zeros(components * dim, rank, dtype=torch.float64)   # Y_c, stacked
        self.quadratic = torch.zeros(components, self.indices.shape[1], dtype=torch.float64)
        self.ivector_sum = torch.zeros(rank, dtype=torch.float64)
        self.ivector_scatter = torch.zeros(rank, rank, dtype=torch.float64)
        self.num_ivectors = 0
        self.evidence = 0.0

    def add(self, batch):
        posteriors = self.extractor.posteriors(batch.zeroth, batch.first)
        ivectors = posteriors.mean.clone()
        ivectors[:, 0] += self.extractor.prior_offset
        scatter = posteriors.covariance() + ivectors.unsqueeze(2) * ivectors.unsqueeze(1)
        zeroth = torch.from_numpy(batch.zeroth)
        first = torch.from_numpy(batch.first).reshape(len(batch), -1).to(torch.float64)
        # In place: a product of this shape is as large as the accumulator (C x R(R+1)/2).
        self.quadratic.addmm_(zeroth.T, scatter[:, self.indices[0], self.indices[1]])
        self.linear.addmm_(first.T, ivectors)
        self.ivector_sum += ivectors.sum(0)
        self.ivector_scatter += scatter.sum(0)
        self.num_ivectors += len(batch)
        self.evidence += float(posteriors.log_evidence().sum())


def expectation(extractor, batches):
    """The EmAccumulator of every batch under ``extractor`` (a list of BatchStats, or
    SpilledBatches)."""
    accumulator = EmAccumulator(extractor)
    total = (batches.num_utterances if hasattr(batches, "num_utterances")
             else sum(len(b) for b in batches))
    bar = progress(desc="E-step", total=total, unit="utt")
    for batch in batches:
        accumulator.add(batch)
        bar.update(len(batch))
    bar.close()
    return accumulator


def maximisation(accumulator, totals, variance_floor_factor=0.1, min_count=100.0):
    """The re-estimated extractor (T, Sigma_c, then minimum divergence)."""
    extractor = accumulator.extractor
    components, dim, rank = extractor.num_components, extractor.feat_dim, extractor.ivector_dim
    projection = torch.from_numpy(extractor.projection.copy())
    covars = torch.from_numpy(extractor.covars.copy())
    counts = torch.from_numpy(np.asarray(totals.zeroth, dtype=np.float64))
    second = torch.from_numpy(totals.second)
    linear = accumulator.linear.reshape(components, dim, rank)
    updated = torch.from_numpy(np.flatnonzero(totals.zeroth >= min_count))
    if len(updated) < components:
        log.warning("%d of %d Gaussians have fewer than %g frames: their T and covariance "
                    "stay as they were", components - len(updated), components, min_count)
    for chunk in component_chunks(len(updated)):
        index = updated[chunk]
        quadratic = unpack_symmetric(accumulator.quadratic[index], accumulator.indices, rank)
        y = linear[index]
        factor = torch.linalg.cholesky(quadratic)
        t = torch.cholesky_solve(y.transpose(1, 2), factor).transpose(1, 2)      # Y R^-1
        # With T = Y R^-1, T R T' = T Y' = Y T': Sigma = (S - T Y') / N.
        sigma = (second[index] - t @ y.transpose(1, 2)) / counts[index, None, None]
        projection[index] = t
        covars[index] = 0.5 * (sigma + sigma.transpose(1, 2))
    if len(updated):
        weights = counts[updated] / counts[updated].sum()
        floor = variance_floor_factor * torch.einsum("c,cij->ij", weights, covars[updated])
        covars[updated] = _apply_floor(covars[updated], floor)
    transform_inverse, offset = _minimum_divergence(accumulator)
    projection = projection @ transform_inverse
    return IvectorExtractor(extractor.ubm, projection.numpy(), covars.numpy(), offset,
                            extractor.num_gselect, extractor.min_post)


def _apply_floor(covars, floor):
    """Each covariance with its eigenvalues relative to ``floor`` raised to at least one
    (Kaldi's SpMatrix::ApplyFloor): Sigma >= floor in the positive semi-definite order."""
    factor = torch.linalg.cholesky(floor)
    factor_inverse = torch.linalg.inv(factor)
    relative = factor_inverse @ covars @ factor_inverse.T
    values, vectors = torch.linalg.eigh(0.5 * (relative + relative.transpose(1, 2)))
    num_floored = int((values < 1.0).sum())
    if num_floored:
        log.info("variance floor: raised %d eigenvalues", num_floored)
    values = values.clamp(min=1.0)
    return factor @ (vectors * values.unsqueeze(1)) @ vectors.transpose(1, 2) @ factor.T


def _minimum_divergence(accumulator):
    """V^-1 and the new prior offset: V maps the i-vectors' mean and covariance to
    (offset e_1, I) through a whitening and a Householder reflection."""
    count = accumulator.num_ivectors
    mean = accumulator.ivector_sum / count
    covariance = accumulator.ivector_scatter / count - torch.outer(mean, mean)
    values, vectors = torch.linalg.eigh(0.5 * (covariance + covariance.T))
    log.info("i-vector covariance eigenvalues range from %.4g to %.4g",
             float(values.min()), float(values.max()))
    values = values.clamp(min=1e-7)
    whitening = vectors.T / values.sqrt().unsqueeze(1)                  # diag(s^-1/2) P'
    whitened_mean = whitening @ mean
    offset = float(torch.linalg.norm(whitened_mean))
    reflection = _householder_to_first_axis(whitened_mean / offset)
    # V = H W, so V^-1 = W^-1 H^-1 = P diag(s^1/2) H (H is symmetric and orthogonal).
    transform_inverse = (vectors * values.sqrt().unsqueeze(0)) @ reflection
    return transform_inverse, offset


def _householder_to_first_axis(unit):
    """An orthogonal symmetric H with H unit = e_1.

    The reflection is taken towards whichever of +e_1, -e_1 is further from ``unit`` (and
    negated if that was -e_1), so that the reflecting vector is never nearly zero.
    """
    eye = torch.eye(len(unit), dtype=unit.dtype)
    sign = 1.0 if unit[0] <= 0 else -1.0
    v = unit - sign * eye[0]
    return sign * (eye - 2.0 * torch.outer(v, v) / (v @ v))


def train_extractor(extractor, batches, totals, num_iters, min_count=100.0):
    """``num_iters`` EM iterations from ``extractor``; returns the trained extractor and the
    objective (log-likelihood per frame) of the model each iteration started from."""
    objectives = []
    for iteration in range(num_iters):
        accumulator = expectation(extractor, batches)
        objective = ((extractor.acoustic_log_likelihood(totals) + accumulator.evidence)
                     / totals.num_frames)
        change = f" ({objective - objectives[-1]:+.6f})" if objectives else ""
        log.info("iteration %d/%d: log-likelihood per frame %.6f%s over %d frames",
                 iteration + 1, num_iters, objective, change, totals.num_frames)
        objectives.append(objective)
        extractor.drop_derived()
        extractor = maximisation(accumulator, totals, min_count=min_count)
        # The accumulator holds the old model (and its derived quantities): both as large as
        # the new ones, which the next E-step builds.
        del accumulator
        log.info("iteration %d/%d: prior offset now %.4f", iteration + 1, num_iters,
                 extractor.prior_offset)
    return extractor, objectives
