"""The E-step in torch: component posteriors of frame blocks and the statistics they add up to.

The log-likelihood of every component is written as one affine function of a
per-frame feature vector [x, q(x)], so a whole frame block costs one matrix
product for the likelihoods and one for the statistics, on any torch device::

    log w_c N(x; m_c, S_c) = k_c + x . (P_c m_c) - 1/2 q(x) . p_c

with P_c = S_c^-1 and k_c = log w_c - 1/2 (D log 2pi + log|S_c| + m_c' P_c m_c).
For a diagonal model q(x) = x^2 and p_c the diagonal of P_c; for a full one q(x)
holds the products x_i x_j (i <= j) and p_c the matching entries of P_c, the
off-diagonal ones doubled. The same q(x) weighted by the posteriors gives the
second-order statistics (x^2, or the packed x x^T). Everything is float64, so
the results agree with the numpy likelihoods of :class:`metricvox.gmm.model.Gmm`
to rounding.
"""

import numpy as np
import torch

from metricvox.gmm.stats import GmmStats

_LOG_2PI = float(np.log(2.0 * np.pi))
# Frame blocks are sized so that a (frames x components) matrix holds about this many
# numbers (32 MB in float64): large enough for fast products, small enough for any GPU.
_BLOCK_ELEMENTS = 1 << 22


class StatsAccumulator:
    """Adds frames to the statistics of ``model`` on ``device`` (a torch.device or name).

    ``second_order`` is "diag", "full" (either works with either kind of model) or
    None for zeroth and first order only.
    """

    def __init__(self, model, second_order="diag", device="cpu"):
        self.device = torch.device(device)
        self.model_kind = model.kind
        self.second_order = second_order
        self.num_components, self.dim = model.num_components, model.dim
        linear, quadratic, constant = _affine_parameters(model)
        # [x, q(x)] @ weights + constant: the (T, C) component log-likelihoods in one product.
        self._weights = self._tensor(np.concatenate([linear, -0.5 * quadratic], axis=1).T)
        self._constant = self._tensor(constant)
        self.block_frames = max(64, _BLOCK_ELEMENTS // max(self.num_components,
                                                           self._weights.shape[0]))
        width = self.dim + {"diag": self.dim, "full": self.dim * (self.dim + 1) // 2,
                            None: 0}[second_order]
        self._zeroth = self._zeros(self.num_components)
        # First- and second-order statistics side by side: [sum gamma x, sum gamma s(x)].
        self._moments = self._zeros(self.num_components, width)
        self._log_likelihood = self._zeros(())
        self._num_frames = 0

    def _tensor(self, array):
        return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float64, device=self.device)

    def _zeros(self, *shape):
        return torch.zeros(*shape, dtype=torch.float64, device=self.device)

    def _with_products(self, x, kind):
        """[x, x^2] for "diag"; [x, x_i x_j for i <= j] for "full"; x alone for None."""
        if kind is None:
            return x
        if kind == "diag":
            return torch.cat([x, x * x], dim=1)
        # Built transposed, one contiguous row group per i (x_i x_j for j >= i), and handed
        # over as a transposed view: no (T, Q) temporaries, and several times faster than
        # gathering the index pairs.
        dim = self.dim
        columns = x.T.contiguous()
        features = torch.empty(dim + dim * (dim + 1) // 2, x.shape[0], dtype=x.dtype,
                               device=x.device)
        features[:dim] = columns
        start = dim
        for i in range(dim):
            torch.mul(columns[i:i + 1], columns[i:], out=features[start:start + dim - i])
            start += dim - i
        return features.T

    def add(self, frames):
        """Accumulate a (T, D) frame matrix (numpy), block by block."""
        frames = np.asarray(frames, dtype=np.float64)
        for start in range(0, frames.shape[0], self.block_frames):
            x = self._tensor(frames[start:start + self.block_frames])
            model_features = self._with_products(x, self.model_kind)
            # The joint log-likelihoods become the posteriors in place (one exp, no copies).
            posteriors = torch.addmm(self._constant, model_features, self._weights)
            peak = posteriors.max(dim=1, keepdim=True).values
            posteriors -= peak
            posteriors.exp_()
            norm = posteriors.sum(dim=1, keepdim=True)
            posteriors /= norm
            stats_features = (model_features if self.second_order == self.model_kind
                              else self._with_products(x, self.second_order))
            self._zeroth += posteriors.sum(0)
            self._moments += posteriors.T @ stats_features
            self._log_likelihood += (peak + torch.log(norm)).sum()
            self._num_frames += x.shape[0]

    def stats(self):
        """The statistics accumulated so far, as numpy arrays."""
        moments = self._moments.cpu().numpy()
        first, second = moments[:, :self.dim].copy(), moments[:, self.dim:].copy()
        if self.second_order is None:
            second = None
        elif self.second_order == "full":
            second = _unpack_symmetric(second, self.dim)
        return GmmStats(self._zeroth.cpu().numpy(), first, second, float(self._log_likelihood),
                        self._num_frames)


def _affine_parameters(model):
    """(linear (C, D), quadratic (C, Q), constant (C,)) of the per-component log-likelihood."""
    with np.errstate(divide="ignore"):
        log_weights = np.log(model.weights)
    if model.kind == "diag":
        precision = 1.0 / model.covars
        log_det = np.log(model.covars).sum(1)
        linear = model.means * precision
        quadratic = precision
    else:
        chol = np.linalg.cholesky(model.covars)
        log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1)
        eye = np.broadcast_to(np.eye(model.dim), model.covars.shape)
        precision = np.linalg.solve(model.covars, eye)
        precision = 0.5 * (precision + precision.transpose(0, 2, 1))
        linear = np.einsum("cde,ce->cd", precision, model.means)
        rows, cols = np.triu_indices(model.dim)
        quadratic = precision[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)
    constant = log_weights - 0.5 * (model.dim * _LOG_2PI + log_det + (model.means * linear).sum(1))
    return linear, quadratic, constant


def _unpack_symmetric(packed, dim):
    rows, cols = np.triu_indices(dim)
    full = np.zeros((packed.shape[0], dim, dim))
    full[:, rows, cols] = packed
    full[:, cols, rows] = packed
    return full


def accumulate(model, frames, second_order="diag", device="cpu"):
    """The statistics of one frame matrix (a convenience over :class:`StatsAccumulator`)."""
    accumulator = StatsAccumulator(model, second_order, device)
    accumulator.add(frames)
    return accumulator.stats()
