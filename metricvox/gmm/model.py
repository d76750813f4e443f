"""A Gaussian mixture model: diagonal or full covariance, its likelihoods, and its file.

The one representation shared by the UBM trainer, MAP adaptation, GMM-UBM scoring
and the i-vector extractor::

    weights (C,)    mixture weights, summing to 1
    means   (C, D)
    covars  (C, D) for a diagonal model, (C, D, D) for a full one

Likelihoods are computed in float64 through precomputed per-component constants
(log weight, log determinant, precision), so a frame block costs one matrix
product for a diagonal model and C for a full one.

Saved as ``.npz`` (``kind``, ``weights``, ``means``, ``covars``), checked on load.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from metricvox.errors import InputError

KINDS = ("diag", "full")
_BLOCK_VALUES = 4_000_000  # frames x components x dims per product (32 MB of float64)
_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class Gmm:
    weights: np.ndarray
    means: np.ndarray
    covars: np.ndarray

    def __post_init__(self):
        self.weights = np.asarray(self.weights, dtype=np.float64)
        self.means = np.asarray(self.means, dtype=np.float64)
        self.covars = np.asarray(self.covars, dtype=np.float64)
        components, dim = self.means.shape if self.means.ndim == 2 else (0, 0)
        if self.means.ndim != 2 or components == 0 or dim == 0:
            raise InputError(f"GMM means must be a (components x dim) matrix, got shape "
                             f"{self.means.shape}")
        if self.weights.shape != (components,):
            raise InputError(f"GMM weights have shape {self.weights.shape}; expected ({components},)")
        if self.covars.shape not in ((components, dim), (components, dim, dim)):
            raise InputError(f"GMM covariances have shape {self.covars.shape}; expected "
                             f"({components}, {dim}) or ({components}, {dim}, {dim})")

    @property
    def kind(self):
        return "diag" if self.covars.ndim == 2 else "full"

    @property
    def num_components(self):
        return self.means.shape[0]

    @property
    def dim(self):
        return self.means.shape[1]

    def check_features(self, frames, where=None):
        """``frames`` as a float64 (T, D) matrix, or an InputError naming ``where``."""
        frames = np.asarray(frames, dtype=np.float64)
        if frames.ndim != 2 or frames.shape[1] != self.dim:
            raise InputError(f"features of dimension {frames.shape[-1] if frames.ndim else 0} "
                             f"do not match the GMM's dimension {self.dim}", where)
        return frames

    def component_log_likelihoods(self, frames):
        """(T, C): log w_c + log N(x_t; mu_c, Sigma_c) for every frame and component."""
        frames = self.check_features(frames)
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        if self.kind == "diag":
            precision = 1.0 / self.covars                                   # (C, D)
            constant = (log_weights - 0.5 * (self.dim * _LOG_2PI + np.log(self.covars).sum(1)
                                             + (self.means ** 2 * precision).sum(1)))
            return (constant[None, :]
                    - 0.5 * (frames ** 2) @ precision.T
                    + frames @ (self.means * precision).T)
        flat, shifts, log_det = self._whitening()
        result = np.empty((frames.shape[0], self.num_components))
        block = max(1, _BLOCK_VALUES // flat.shape[0])
        for start in range(0, frames.shape[0], block):
            z = (frames[start:start + block] @ flat.T).reshape(-1, *shifts.shape) - shifts
            result[start:start + block] = -0.5 * np.einsum("tcd,tcd->tc", z, z)
        return result + (log_weights - 0.5 * (self.dim * _LOG_2PI + log_det))[None, :]

    def _whitening(self):
        """Full covariances as whitening maps W_c = L_c^-1 (Sigma_c = L_c L_c'): the Mahalanobis
        distance is |W_c x - W_c mu_c|^2, all components in one matrix product per block of
        frames (a solve per component and utterance cost ~10x more). Computed once per
        (means, covars) arrays: the model is never changed in place."""
        key = (id(self.means), id(self.covars))
        if getattr(self, "_whitening_key", None) != key:
            chol = np.linalg.cholesky(self.covars)                          # (C, D, D)
            whitening = np.linalg.inv(chol)
            self._whitening_cache = (whitening.reshape(-1, self.dim),      # (C*D, D)
                                     np.einsum("cde,ce->cd", whitening, self.means),  # (C, D)
                                     2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1))
            self._whitening_key = key
        return self._whitening_cache

    def log_likelihood(self, frames):
        """(T,): log p(x_t) under the mixture."""
        return logsumexp(self.component_log_likelihoods(frames), axis=1)

    def posteriors(self, frames):
        """(T, C) component posteriors (responsibilities) and the (T,) frame log-likelihoods."""
        joint = self.component_log_likelihoods(frames)
        total = logsumexp(joint, axis=1)
        return np.exp(joint - total[:, None]), total

    def to_diag(self):
        """The diagonal model with this model's variances."""
        if self.kind == "diag":
            return self
        return Gmm(self.weights, self.means, np.diagonal(self.covars, axis1=1, axis2=2).copy())

    def to_full(self):
        """The full-covariance model with this model's (diagonal) covariances."""
        if self.kind == "full":
            return self
        covars = np.zeros((self.num_components, self.dim, self.dim))
        index = np.arange(self.dim)
        covars[:, index, index] = self.covars
        return Gmm(self.weights, self.means, covars)

    def save(self, path):
        """Write the model to ``path`` (.npz) atomically."""
        from metricvox.io.atomic import atomic_write
        with atomic_write(path, "wb") as stream:
            np.savez(stream, kind=np.array(self.kind), weights=self.weights,
                     means=self.means, covars=self.covars)

    @classmethod
    def load(cls, path):
        """The model saved at ``path``; an InputError if it is not one."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                fields = {k: archive[k] for k in ("kind", "weights", "means", "covars")}
        except FileNotFoundError:
            raise InputError("no such GMM file", path) from None
        except (OSError, ValueError, KeyError, EOFError) as error:  # EOFError: an empty file
            raise InputError(f"not a metricvox GMM file ({error})", path) from None
        try:
            model = cls(fields["weights"], fields["means"], fields["covars"])
        except InputError as error:
            raise InputError(error.message, path) from None
        if str(fields["kind"]) != model.kind:
            raise InputError(f"GMM kind '{fields['kind']}' does not match its covariances", path)
        if not np.all(np.isfinite(model.covars)) or not np.all(np.isfinite(model.means)):
            raise InputError("GMM has non-finite parameters", path)
        return model
