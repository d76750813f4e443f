"""metricvox from Python: load a model, embed audio, score and verify pairs.

    from metricvox.api import load_model
    model = load_model("exp/last.pt")
    a, b = model.embed("a.wav"), model.embed("b.wav")
    print(model.score(a, b))
    print(model.verify("a.wav", "b.wav", threshold=0.5))

:func:`load_model` opens any model file :mod:`metricvox.model_loaders` knows by its
content (a metricvox-train checkpoint). Embeddings are metricvox-extract's (one per
whole utterance) and scores metricvox-score's, with the back end chosen as there:
``cosine`` (the default), ``euclidean``, ``plda`` with a metricvox-train-plda file, or
``siamese``, the head of a double-branch Siamese network (the default for one).

Audio, as a file path or a 1-D float numpy array of samples in [-1, 1] with its
``sample_rate``:

- several channels (a stereo file) are averaged to mono, as every metricvox tool does;
- another rate than the model's is resampled to it with metricvox's resampler; audio
  at a lower rate (8 kHz telephone audio for a 16 kHz model) is upsampled with a
  :class:`LowSampleRateWarning`, since its upper band stays empty;
- an empty, non-finite (NaN, infinite), integer or multi-dimensional array, or a file
  that cannot be decoded, is an :class:`metricvox.errors.InputError` with a one-line
  message.
"""

import os
import warnings
from collections import namedtuple

import numpy as np

from metricvox.backend.backends import ScoringOptions
from metricvox.data.audio import read_audio, resample
from metricvox.errors import InputError
from metricvox.model_loaders import load_embedding_model

__all__ = ["load_model", "Model", "Verification", "LowSampleRateWarning", "InputError"]

Verification = namedtuple("Verification", "accepted score threshold")
Verification.__doc__ = "A verified pair: ``accepted`` when ``score >= threshold``."


class LowSampleRateWarning(UserWarning):
    """Audio below the model's sample rate was upsampled: the model never saw its missing band."""


def load_model(path, *, backend=None, plda=None, device="cpu"):
    """The :class:`Model` in the file ``path``.

    ``backend`` is ``cosine``, ``euclidean``, ``plda`` (needs ``plda``, the file of
    metricvox-train-plda) or ``siamese``; by default ``siamese`` for a Siamese network,
    ``plda`` when ``plda`` is given, else ``cosine``.
    """
    from metricvox.scoring_backends import EMBEDDING_BACKENDS
    network = load_embedding_model(path, device)
    if backend is None:
        backend = "siamese" if network.has_pair_head else "plda" if plda is not None else "cosine"
    if backend not in EMBEDDING_BACKENDS:
        raise InputError(f"unknown back end {backend!r}; choose from {', '.join(EMBEDDING_BACKENDS)}")
    if (backend == "plda") != (plda is not None):
        raise InputError("backend 'plda' and a plda file go together")
    if backend == "siamese" and not network.has_pair_head:
        raise InputError("backend 'siamese' needs a siamese_pair model (a checkpoint; an "
                         "export holds the embedding extractor only)", os.fspath(path))
    model_file = plda if backend == "plda" else path if backend == "siamese" else None
    scorer = EMBEDDING_BACKENDS[backend].make_scorer(
        ScoringOptions(model=None if model_file is None else os.fspath(model_file), device=device))
    return Model(network, backend, scorer)


class Model:
    """A loaded model and its back end; build it with :func:`load_model`."""

    def __init__(self, network, backend, scorer):
        self.network = network
        self.backend = backend
        self._scorer = scorer

    @property
    def sample_rate(self):
        return self.network.sample_rate

    def embed(self, audio, sample_rate=None):
        """The (D,) embedding of a sound file's path, or of a 1-D waveform at ``sample_rate``."""
        samples, rate = self._waveform(audio, sample_rate)
        if rate != self.sample_rate:
            if rate < self.sample_rate:
                warnings.warn(f"{rate} Hz audio upsampled to the model's {self.sample_rate} Hz: "
                              f"it has nothing above {rate / 2:g} Hz", LowSampleRateWarning,
                              stacklevel=2)
            samples = resample(samples, rate, self.sample_rate)
        key = os.fspath(audio) if isinstance(audio, (str, os.PathLike)) else "waveform"
        return self.network.embed(samples, key)

    def score(self, enroll, test):
        """The back end's score of two embeddings (higher: more likely the same speaker)."""
        scorer = self._scorer
        enroll_rows, test_rows = scorer.prepare(enroll, "enroll"), scorer.prepare(test, "test")
        return float(np.mean(scorer.row_scores(enroll_rows, 1, test_rows)))

    def verify(self, enroll_audio, test_audio, threshold):
        """Embed both recordings, score them and compare the score with ``threshold``."""
        if not np.isfinite(threshold):
            raise InputError(f"the threshold must be a finite number, got {threshold}")
        score = self.score(self.embed(enroll_audio), self.embed(test_audio))
        return Verification(score >= threshold, score, threshold)

    def _waveform(self, audio, sample_rate):
        if isinstance(audio, (str, os.PathLike)):
            if sample_rate is not None:
                raise InputError("a file's sample rate is in the file: give sample_rate only "
                                 "with an array", os.fspath(audio))
            return read_audio(os.fspath(audio))
        if sample_rate is None:
            raise InputError("a waveform array needs its sample_rate")
        if not (isinstance(sample_rate, (int, np.integer)) and sample_rate > 0):
            raise InputError(f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}")
        samples = np.asarray(audio)
        if samples.dtype.kind != "f":
            raise InputError(f"expected float samples in [-1, 1], got an array of {samples.dtype}")
        if samples.ndim != 1:
            raise InputError(f"expected a 1-D mono waveform, got an array of shape {samples.shape} "
                             "(average the channels first)")
        if samples.size == 0:
            raise InputError("the waveform array is empty")
        if not np.isfinite(samples).all():
            raise InputError("the waveform array holds NaN or infinite samples")
        return samples.astype(np.float32), int(sample_rate)
