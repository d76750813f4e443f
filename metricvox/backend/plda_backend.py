"""The PLDA back end: the whole preprocessing chain and the PLDA model, in one file.

Learned from speaker-labelled vectors (i-vectors or network embeddings alike), in
this order, each stage on the output of the one before:

1. the global mean of the training vectors, subtracted;
2. optionally LDA to ``lda_dim`` dimensions;
3. optionally WCCN;
4. optionally length normalisation to norm sqrt(dim);
5. PLDA (EM, then simultaneous diagonalisation).

Scoring follows Kaldi's ivector-plda-scoring: an enrollment of n utterances is the
average of their preprocessed vectors counted as n; with length normalisation on,
both sides are also length-normalised in PLDA space (Kaldi's --normalize-length,
on in its recipes), the enrollment as an average of n. Crop sets score the mean
LLR over crop pairs, as the similarity back ends do.

File: one ``.npz`` with ``format`` ("metricvox-plda"), ``mean`` (D,), optional
``lda`` (d, D) and ``wccn`` (d, d), ``length_norm`` (bool), and the PLDA model's
``plda_mean``, ``plda_transform`` and ``plda_psi``.
"""

import logging
import zipfile
from dataclasses import dataclass

import numpy as np

from metricvox.backend.lda import estimate_lda
from metricvox.backend.length_norm import length_normalize
from metricvox.backend.plda import Plda
from metricvox.backend.plda_training import estimate_plda
from metricvox.backend.similarity import as_crops
from metricvox.backend.speaker_groups import SpeakerGroups
from metricvox.backend.wccn import estimate_wccn
from metricvox.errors import InputError
from metricvox.io.atomic import atomic_write

log = logging.getLogger(__name__)

FORMAT = "metricvox-plda"


@dataclass
class PldaBackend:
    mean: np.ndarray
    lda: np.ndarray | None
    wccn: np.ndarray | None
    length_norm: bool
    plda: Plda
    source: str | None = None       # the file it was loaded from, for error messages

    @property
    def input_dim(self):
        return self.mean.size

    @classmethod
    def fit(cls, groups, lda_dim=None, wccn=False, length_norm=True, num_iters=10):
        """Learn the chain from a list of (n_s, D) speaker groups, or from any source of
        :class:`SpeakerStats` (a :class:`LabelledVectorTable`: then each stage reads the
        table once, through the stages learned before it, and no vector is held)."""
        source = groups if hasattr(groups, "speaker_stats") else SpeakerGroups(groups)
        stats = source.speaker_stats()
        mean = stats.mean
        lda = wccn_matrix = None
        if lda_dim is not None:
            # The within- and between-speaker covariances do not depend on the mean removed.
            lda, criterion = estimate_lda(stats, lda_dim)
            log.info("LDA to %d dimensions, Fisher ratios %.3g .. %.3g", len(lda),
                     criterion[0], criterion[-1])
        if wccn:
            before_wccn = cls(mean, lda, None, False, None)
            wccn_matrix = estimate_wccn(source.speaker_stats(before_wccn.preprocess))
        chain = cls(mean, lda, wccn_matrix, bool(length_norm), None)
        chain.plda = estimate_plda(source.speaker_stats(chain.preprocess), num_iters)
        return chain

    def preprocess(self, rows):
        """(K, D) rows through mean subtraction, LDA, WCCN and length norm (what PLDA sees)."""
        rows = np.asarray(rows, dtype=np.float64) - self.mean
        if self.lda is not None:
            rows = rows @ self.lda.T
        if self.wccn is not None:
            rows = rows @ self.wccn.T
        if self.length_norm:
            rows = length_normalize(rows)
        return rows

    def prepare(self, embedding, key=None):
        """(K, D) embeddings (of one utterance, or of many stacked) in PLDA's normalised
        space, checked; ``key`` names them in an error."""
        rows = as_crops(embedding, key)
        if rows.shape[1] != self.input_dim:
            raise InputError(f"embedding of '{key}' has dimension {rows.shape[1]}; the PLDA "
                             f"model expects {self.input_dim}", self.source)
        return self.plda.project(self.preprocess(rows))

    def _normalized(self, enroll_rows, num_utts, test_rows):
        if self.length_norm:
            return (self.plda.normalize_length(enroll_rows, num_utts),
                    self.plda.normalize_length(test_rows, 1))
        return enroll_rows, test_rows

    def row_scores(self, enroll_rows, num_utts, test_rows):
        """(E, T) LLRs of prepared enrollment rows (averages of num_utts) vs prepared test rows."""
        enroll_rows, test_rows = self._normalized(enroll_rows, num_utts, test_rows)
        return self.plda.log_likelihood_ratios(enroll_rows, num_utts, test_rows)

    def pair_scores(self, enroll_rows, num_utts, test_rows):
        """(N,) LLRs of prepared enrollment row i (an average of num_utts) vs prepared test row i."""
        enroll_rows, test_rows = self._normalized(enroll_rows, num_utts, test_rows)
        return self.plda.paired_log_likelihood_ratios(enroll_rows, num_utts, test_rows)

    def save(self, path):
        arrays = {"format": np.array(FORMAT), "mean": self.mean,
                  "length_norm": np.array(self.length_norm), "plda_mean": self.plda.mean,
                  "plda_transform": self.plda.transform, "plda_psi": self.plda.psi}
        if self.lda is not None:
            arrays["lda"] = self.lda
        if self.wccn is not None:
            arrays["wccn"] = self.wccn
        with atomic_write(path, "wb") as stream:
            np.savez(stream, **arrays)

    @classmethod
    def load(cls, path):
        """The back end saved at ``path``; an InputError naming the file if it is not one."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise InputError("no such PLDA model file", path) from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:  # EOFError: an empty file
            raise InputError(f"not a metricvox PLDA model file ({error})", path) from None
        if "format" not in arrays or str(arrays["format"]) != FORMAT:
            found = str(arrays["format"]) if "format" in arrays else ", ".join(sorted(arrays))
            raise InputError(f"not a metricvox PLDA model file (it holds: {found})", path)
        try:
            backend = cls._from_arrays(arrays)
        except (KeyError, ValueError) as error:
            raise InputError(f"damaged PLDA model file ({error})", path) from None
        backend.source = str(path)
        return backend

    @classmethod
    def _from_arrays(cls, arrays):
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        lda = arrays.get("lda")
        wccn = arrays.get("wccn")
        plda = Plda(np.asarray(arrays["plda_mean"], dtype=np.float64),
                    np.asarray(arrays["plda_transform"], dtype=np.float64),
                    np.asarray(arrays["plda_psi"], dtype=np.float64))
        dim = mean.size if lda is None else lda.shape[0]
        if mean.ndim != 1 or (lda is not None and lda.shape != (dim, mean.size)):
            raise ValueError(f"mean {mean.shape} and LDA {None if lda is None else lda.shape} "
                             "do not fit")
        if wccn is not None and wccn.shape != (dim, dim):
            raise ValueError(f"WCCN {wccn.shape} does not fit dimension {dim}")
        if plda.mean.shape != (dim,) or plda.transform.shape != (dim, dim) or plda.psi.shape != (dim,):
            raise ValueError(f"PLDA arrays do not fit dimension {dim}")
        parts = [mean, plda.mean, plda.transform, plda.psi] + [a for a in (lda, wccn) if a is not None]
        if not all(np.isfinite(a).all() for a in parts):
            raise ValueError("non-finite parameters")
        return cls(mean, None if lda is None else np.asarray(lda, np.float64),
                   None if wccn is None else np.asarray(wccn, np.float64),
                   bool(arrays["length_norm"]), plda)
