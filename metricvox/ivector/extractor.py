"""The i-vector extractor: the total variability model, i-vector posteriors, and its file.

The model (Kaldi's IvectorExtractor without weight projection): a frame aligned to
UBM component c by the UBM's posteriors is ``x ~ N(m_c + T_c w, Sigma_c)``, with one
``w ~ N(0, I_R)`` per utterance. Given an utterance's statistics N_c, F_c
(:mod:`metricvox.ivector.stats`), the posterior of w is Gaussian with precision and
mean::

    L = I + sum_c N_c T_c' Sigma_c^-1 T_c
    w = L^-1 sum_c T_c' Sigma_c^-1 (F_c - N_c m_c)         (the i-vector)

Means, as Kaldi does it: the prior's mean sits in the first i-vector dimension, with
a "prior offset" o (100 at initialisation): Kaldi's w~ = w + o e_1 has prior
N(o e_1, I) and x ~ N(T_c w~, Sigma_c), so the means are ``m_c = o T_c[:, 0]`` and are
re-estimated with T. Kaldi's ivector-extract writes w~ - o e_1, which is the w
above; so the formula holds with those means and i-vectors are centred at zero.

Speed: ``T_c' Sigma_c^-1 T_c`` is precomputed for every component and kept packed
(upper triangle, C x R(R+1)/2), so a batch of B utterances costs one (B x C)(C x R(R+1)/2)
product for the precisions, one (B x CD)(CD x R) product for the linear terms and B
Cholesky factorisations, in float64 with torch.

File (``.npz``): ``kind`` = "metricvox-ivector-extractor", ``projection`` (C, D, R),
``covars`` (C, D, D), ``prior_offset``, the UBM that aligns frames (``ubm_weights``,
``ubm_means``, ``ubm_covars``) and its alignment settings (``num_gselect``, ``min_post``),
so that extraction needs the extractor file alone.
"""

import zipfile
from dataclasses import dataclass

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.gmm.model import KINDS as GMM_KINDS
from metricvox.gmm.model import Gmm
from metricvox.ivector.stats import UbmAligner

KIND = "metricvox-ivector-extractor"
_FIELDS = ("kind", "projection", "covars", "prior_offset", "ubm_weights", "ubm_means",
           "ubm_covars", "num_gselect", "min_post")
_LOG_2PI = float(np.log(2.0 * np.pi))
# Components per chunk when building (chunk, R, R) matrices, to bound memory at large C and R.
COMPONENT_CHUNK = 64


def packed_indices(dim):
    """Row and column indices of the upper triangle of a (dim x dim) matrix, row by row."""
    return torch.triu_indices(dim, dim)


def unpack_symmetric(packed, indices, dim):
    """(..., K) packed upper triangles to (..., dim, dim) symmetric matrices."""
    full = packed.new_zeros(packed.shape[:-1] + (dim, dim))
    full[..., indices[0], indices[1]] = packed
    full[..., indices[1], indices[0]] = packed
    return full


@dataclass
class IvectorPosteriors:
    """The Gaussian posteriors of w for a batch of utterances (torch float64)."""
    mean: torch.Tensor        # (B, R): the i-vectors
    cholesky: torch.Tensor    # (B, R, R): lower Cholesky factor of the precision L
    linear: torch.Tensor      # (B, R): sum_c T_c' Sigma_c^-1 (F_c - N_c m_c)

    def covariance(self):
        """(B, R, R): L^-1, through the triangular inverse of the Cholesky factor."""
        eye = torch.eye(self.mean.shape[1], dtype=self.mean.dtype).expand_as(self.cholesky)
        inverse_factor = torch.linalg.solve_triangular(self.cholesky, eye, upper=False)
        return inverse_factor.transpose(1, 2) @ inverse_factor

    def log_evidence(self):
        """(B,): 0.5 b' L^-1 b - 0.5 log det L, the part of each utterance's marginal
        log-likelihood that depends on w (see :meth:`IvectorExtractor.log_likelihood`)."""
        log_det = 2.0 * torch.log(torch.diagonal(self.cholesky, dim1=1, dim2=2)).sum(1)
        return 0.5 * (self.linear * self.mean).sum(1) - 0.5 * log_det


@dataclass
class _Derived:
    precision: torch.Tensor             # (C, D, D) Sigma_c^-1
    precision_projection: torch.Tensor  # (C*D, R) Sigma_c^-1 T_c, stacked
    mean_projection: torch.Tensor       # (C, R) m_c' Sigma_c^-1 T_c
    quadratic: torch.Tensor             # (C, K) T_c' Sigma_c^-1 T_c, packed
    log_constants: torch.Tensor         # (C,) -0.5 (D log 2pi + log det Sigma_c)
    indices: torch.Tensor               # (2, K) packing indices


class IvectorExtractor:
    """Total variability matrix T (C blocks of D x R), covariances Sigma_c, prior offset, UBM."""

    def __init__(self, ubm, projection, covars, prior_offset, num_gselect=20, min_post=0.025):
        self.ubm = ubm
        self.projection = np.asarray(projection, dtype=np.float64)
        self.covars = np.asarray(covars, dtype=np.float64)
        self.prior_offset = float(prior_offset)
        self.num_gselect = int(num_gselect)
        self.min_post = float(min_post)
        components, dim = ubm.num_components, ubm.dim
        if self.projection.ndim != 3 or self.projection.shape[:2] != (components, dim):
            raise InputError(f"total variability matrix has shape {self.projection.shape}; "
                             f"expected ({components}, {dim}, R) for the UBM")
        if not 1 <= self.ivector_dim <= components * dim:
            raise InputError(f"i-vector dimension {self.ivector_dim} must be between 1 and "
                             f"components x feature dim = {components * dim}")
        if self.covars.shape != (components, dim, dim):
            raise InputError(f"extractor covariances have shape {self.covars.shape}; expected "
                             f"({components}, {dim}, {dim})")
        if not (np.isfinite(self.projection).all() and np.isfinite(self.covars).all()
                and np.isfinite(self.prior_offset) and self.prior_offset > 0):
            raise InputError("the extractor has non-finite parameters or a prior offset <= 0")
        try:
            np.linalg.cholesky(self.covars)
        except np.linalg.LinAlgError:
            raise InputError("an extractor covariance is not positive definite") from None
        self._derived = None
        self._aligner = None

    @property
    def num_components(self):
        return self.projection.shape[0]

    @property
    def feat_dim(self):
        return self.projection.shape[1]

    @property
    def ivector_dim(self):
        return self.projection.shape[2]

    @property
    def means(self):
        """(C, D) the model's means m_c = o T_c[:, 0] (Kaldi's prior offset)."""
        return self.prior_offset * self.projection[:, :, 0]

    @property
    def aligner(self):
        """The UbmAligner that turns this extractor's input features into statistics."""
        if self._aligner is None:
            self._aligner = UbmAligner(self.ubm, self.num_gselect, self.min_post)
        return self._aligner

    def __getstate__(self):
        # Workers rebuild the derived quantities: cheaper than sending C x R(R+1)/2 numbers.
        state = dict(self.__dict__)
        state["_derived"] = state["_aligner"] = None
        return state

    def derived(self):
        """Quantities precomputed from the parameters (cached)."""
        if self._derived is None:
            self._derived = self._compute_derived()
        return self._derived

    def drop_derived(self):
        """Free the derived quantities (rebuilt when next needed): they are as large as the
        E-step's accumulators, and the M-step needs only the parameters."""
        self._derived = None

    def _compute_derived(self):
        projection = torch.from_numpy(self.projection)
        covars = torch.from_numpy(self.covars)
        chol = torch.linalg.cholesky(covars)
        precision = torch.cholesky_inverse(chol)
        precision_projection = precision @ projection                        # (C, D, R)
        means = torch.from_numpy(self.means)
        mean_projection = torch.einsum("cd,cdr->cr", means, precision_projection)
        indices = packed_indices(self.ivector_dim)
        # Filled in place, chunk by chunk: C x R(R+1)/2 is the largest array of the model
        # (650 MB at 1024 x 400), so it must not exist twice, even briefly.
        quadratic = torch.empty(self.num_components, indices.shape[1], dtype=torch.float64)
        for s in component_chunks(self.num_components):
            product = projection[s].transpose(1, 2) @ precision_projection[s]
            quadratic[s] = product[:, indices[0], indices[1]]
        log_det = 2.0 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(1)
        return _Derived(precision, precision_projection.reshape(-1, self.ivector_dim),
                        mean_projection, quadratic, -0.5 * (self.feat_dim * _LOG_2PI + log_det),
                        indices)

    def posteriors(self, zeroth, first):
        """IvectorPosteriors for statistics ``zeroth`` (B, C) and ``first`` (B, C, D)."""
        derived = self.derived()
        zeroth = torch.as_tensor(np.asarray(zeroth), dtype=torch.float64)
        first = torch.as_tensor(np.asarray(first), dtype=torch.float64).reshape(len(zeroth), -1)
        dim = self.ivector_dim
        precision = unpack_symmetric(zeroth @ derived.quadratic, derived.indices, dim)
        precision.diagonal(dim1=1, dim2=2).add_(1.0)
        linear = first @ derived.precision_projection - zeroth @ derived.mean_projection
        chol = torch.linalg.cholesky(precision)
        mean = torch.cholesky_solve(linear.unsqueeze(-1), chol).squeeze(-1)
        return IvectorPosteriors(mean, chol, linear)

    def extract(self, batch):
        """(B, R) float64 i-vectors of a BatchStats."""
        return self.posteriors(batch.zeroth, batch.first).mean.numpy()

    def acoustic_log_likelihood(self, totals):
        """The part of the marginal log-likelihood that does not depend on w, summed over a
        training set: sum_c [N_c log-const_c - 0.5 tr(Sigma_c^-1 S~_c)], with S~_c the
        second-order statistics centred on m_c."""
        derived = self.derived()
        zeroth = torch.from_numpy(np.asarray(totals.zeroth, dtype=np.float64))
        first = torch.from_numpy(np.asarray(totals.first, dtype=np.float64))
        means = torch.from_numpy(self.means)
        cross = first.unsqueeze(2) * means.unsqueeze(1)                      # F_c m_c'
        centred = (torch.from_numpy(totals.second) - cross - cross.transpose(1, 2)
                   + zeroth[:, None, None] * means.unsqueeze(2) * means.unsqueeze(1))
        trace = (derived.precision * centred).sum((1, 2))
        return float((zeroth * derived.log_constants - 0.5 * trace).sum())

    def log_likelihood(self, batches, totals):
        """Marginal log-likelihood of the statistics (w integrated out), frame alignments fixed:
        the objective EM training increases.

        Per utterance, log p = sum_c [N_c const_c - 0.5 tr(Sigma_c^-1 S~_c)]
        + 0.5 b' L^-1 b - 0.5 log det L; ``totals`` must be the sums over ``batches``.
        """
        evidence = sum(float(self.posteriors(b.zeroth, b.first).log_evidence().sum())
                       for b in batches)
        return self.acoustic_log_likelihood(totals) + evidence

    def save(self, path):
        """Write the extractor to ``path`` (.npz) atomically."""
        from metricvox.io.atomic import atomic_write
        ubm = self.ubm
        with atomic_write(path, "wb") as stream:
            np.savez(stream, kind=np.array(KIND), projection=self.projection, covars=self.covars,
                     prior_offset=np.array(self.prior_offset), ubm_weights=ubm.weights,
                     ubm_means=ubm.means, ubm_covars=ubm.covars,
                     num_gselect=np.array(self.num_gselect), min_post=np.array(self.min_post))

    @classmethod
    def load(cls, path):
        """The extractor saved at ``path``; an InputError if it is not one."""
        try:
            archive = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise InputError("no such i-vector extractor file", path) from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise InputError(f"not a metricvox i-vector extractor file ({error})", path) from None
        if not hasattr(archive, "files"):
            raise InputError("not a metricvox i-vector extractor file (a single array)", path)
        with archive:
            kind = str(archive["kind"]) if "kind" in archive.files else None
            if kind != KIND:
                what = ("a GMM file" if kind in GMM_KINDS else
                        f"a '{kind}' file" if kind else "an archive without a 'kind'")
                raise InputError(f"not a metricvox i-vector extractor ({what})", path)
            missing = [f for f in _FIELDS if f not in archive.files]
            if missing:
                raise InputError(f"i-vector extractor file lacks {', '.join(missing)}", path)
            try:
                fields = {f: archive[f] for f in _FIELDS}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
                raise InputError(f"corrupt i-vector extractor file ({error})", path) from None
        try:
            ubm = Gmm(fields["ubm_weights"], fields["ubm_means"], fields["ubm_covars"])
            return cls(ubm, fields["projection"], fields["covars"], fields["prior_offset"],
                       int(fields["num_gselect"]), float(fields["min_post"]))
        except (InputError, TypeError, ValueError) as error:
            raise InputError(getattr(error, "message", str(error)), path) from None


def component_chunks(total, size=COMPONENT_CHUNK):
    """Slices covering range(total) in pieces of at most ``size``."""
    return [slice(start, min(start + size, total)) for start in range(0, total, size)]
