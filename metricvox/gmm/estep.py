"""The E-step in torch: component posteriors of frame blocks and the statistics they add up to.

The log-likelihood of every component is written as one affine function of a
per-frame feature vector, so a whole frame block costs two matrix products on
any torch device::

    log w_c N(x; m_c, S_c) = k_c + x . (P_c m_c) - 1/2 q(x) . p_c

with P_c = S_c^-1 and k_c = log w_c - 1/2 (D log 2pi + log|S_c| + m_c' P_c m_c).
For a diagonal model q(x) = x^2 and p_c the diagonal of P_c; for a full one q(x)
holds the products x_i x_j (i <= j) and p_c the matching entries of P_c, the
off-diagonal ones doubled. The same q(x) weighted by the posteriors gives the
second-order statistics. Everything is float64, so the results agree with the
numpy likelihoods of :class:`metricvox.gmm.model.Gmm` to rounding.
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
        self.second_order = second_order
        self.num_components, self.dim = model.num_components, model.dim
        self.full_model = model.kind == "full"
        self._upper = np.triu_indices(self.dim)
        self._linear, self._quadratic, self._constant = (
            self._tensor(a) for a in _affine_parameters(model, self._upper))
        width = max(self.num_components, self._quadratic.shape[1])
        self.block_frames = max(64, _BLOCK_ELEMENTS // width)
        self._zeroth = self._zeros(self.num_components)
        self._first = self._zeros(self.num_components, self.dim)
        self._second = None
        if second_order == "diag":
            self._second = self._zeros(self.num_components, self.dim)
        elif second_order == "full":
            self._second = self._zeros(self.num_components, len(self._upper[0]))
        self._log_likelihood = self._zeros(())
        self._num_frames = 0

    def _tensor(self, array):
        return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float64, device=self.device)

    def _zeros(self, *shape):
        return torch.zeros(*shape, dtype=torch.float64, device=self.device)

    def add(self, frames):
        """Accumulate a (T, D) frame matrix (numpy), block by block."""
        frames = np.asarray(frames, dtype=np.float64)
        rows, cols = self._upper
        want_squares = not self.full_model or self.second_order == "diag"
        want_products = self.full_model or self.second_order == "full"
        for start in range(0, frames.shape[0], self.block_frames):
            x = self._tensor(frames[start:start + self.block_frames])
            squares = x * x if want_squares else None
            products = x[:, rows] * x[:, cols] if want_products else None
            quadratic_features = products if self.full_model else squares
            joint = (self._constant + x @ self._linear.T
                     - 0.5 * (quadratic_features @ self._quadratic.T))
            total = torch.logsumexp(joint, dim=1)
            posteriors = torch.exp(joint - total[:, None])
            self._zeroth += posteriors.sum(0)
            self._first += posteriors.T @ x
            if self.second_order == "diag":
                self._second += posteriors.T @ squares
            elif self.second_order == "full":
                self._second += posteriors.T @ products
            self._log_likelihood += total.sum()
            self._num_frames += x.shape[0]

    def stats(self):
        """The statistics accumulated so far, as numpy arrays."""
        second = None
        if self._second is not None:
            second = self._second.cpu().numpy()
            if self.second_order == "full":
                second = _unpack_symmetric(second, self.dim, self._upper)
        return GmmStats(self._zeroth.cpu().numpy(), self._first.cpu().numpy(), second,
                        float(self._log_likelihood), self._num_frames)


def _affine_parameters(model, upper):
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
        rows, cols = upper
        quadratic = precision[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)
    constant = log_weights - 0.5 * (model.dim * _LOG_2PI + log_det + (model.means * linear).sum(1))
    return linear, quadratic, constant


def _unpack_symmetric(packed, dim, upper):
    rows, cols = upper
    full = np.zeros((packed.shape[0], dim, dim))
    full[:, rows, cols] = packed
    full[:, cols, rows] = packed
    return full


def accumulate(model, frames, second_order="diag", device="cpu"):
    """The statistics of one frame matrix (a convenience over :class:`StatsAccumulator`)."""
    accumulator = StatsAccumulator(model, second_order, device)
    accumulator.add(frames)
    return accumulator.stats()
