"""Computing features for every utterance of a wav table into a feature archive."""

import logging
from contextlib import ExitStack
import zlib

import numpy as np

from metricvox.data.audio import iter_audio
from metricvox.errors import InputError
from metricvox.features.blas_threads import single_threaded_blas
from metricvox.features.checks import check_finite
from metricvox.features.feature_types import feature_options, feature_type, resolve_type_name
from metricvox.features.framing import window_size
from metricvox.io import MatrixWriter
from metricvox.io.specifiers import check_distinct_outputs
from metricvox.progress import progress

log = logging.getLogger(__name__)


class FeatureExtractor:
    """Features of one type with fixed options; callable on (utt_id, waveform)."""

    def __init__(self, type_name, options, seed=0):
        self.type_name = type_name
        self.options = options
        self.seed = seed
        self._compute = feature_type(type_name).compute

    @classmethod
    def from_settings(cls, type_name=None, preset=None, config=None, overrides=None, seed=0):
        """Options from type, preset, conf file and command-line overrides (see feature_types)."""
        type_name = resolve_type_name(type_name, preset)
        return cls(type_name, feature_options(type_name, preset, config, overrides), seed)

    def _rng(self, utt_id):
        # Dither depends on (seed, utterance) only, so a split data dir or a
        # different utterance order gives the same features.
        return np.random.default_rng([self.seed, zlib.crc32(utt_id.encode())])

    def __call__(self, utt_id, waveform):
        """(frames, dim) float32 features of a [-1, 1] waveform at options.sample_frequency."""
        waveform = np.asarray(waveform, dtype=np.float32)
        if waveform.ndim != 1:
            raise InputError(f"utterance {utt_id}: expected a mono waveform, got shape "
                             f"{waveform.shape}")
        check_finite(waveform, utt_id, what="samples")
        with single_threaded_blas():
            features = self._compute(waveform, self.options, self._rng(utt_id))
        if features.shape[0] == 0:
            raise InputError(f"utterance {utt_id}: {len(waveform)} samples give no frame "
                             f"(frame length {window_size(self.options)} samples, "
                             f"snip-edges={str(self.options.snip_edges).lower()})")
        return check_finite(features, utt_id, what="computed features")


def compute_feats_table(wav_rspecifier, feats_wspecifier, extractor, segments=None,
                        allow_resample=False, also=()):
    """Features of every utterance of ``wav_rspecifier`` written to ``feats_wspecifier``.

    ``also``: more ``(extractor, wspecifier)`` outputs computed from the same decoded
    audio (one decode for several front ends; all must share the sample frequency).
    A wav at another rate than the options' sample frequency is an InputError
    unless ``allow_resample``. Returns the number of utterances written.
    """
    rate = extractor.options.sample_frequency
    if rate != int(rate):
        raise InputError(f"--sample-frequency={rate} is not a whole number of Hz")
    rate = int(rate)
    for other, wspecifier in also:
        if other.options.sample_frequency != rate:
            raise InputError(f"the {other.type_name} features for {wspecifier} are at "
                             f"{other.options.sample_frequency:g} Hz, the main ones at {rate} Hz: "
                             "one decode can only feed front ends of the same sample frequency")
    outputs = [(extractor, feats_wspecifier)] + list(also)
    check_distinct_outputs([wspecifier for _, wspecifier in outputs])
    count = 0
    audio = iter_audio(wav_rspecifier, segments=segments, sample_rate=rate,
                       allow_resample=allow_resample)
    with ExitStack() as stack:
        writers = [(ext, stack.enter_context(MatrixWriter(wspec))) for ext, wspec in outputs]
        # iter_audio refuses (or resamples) audio at another rate than ``rate``.
        for utt_id, samples, _ in progress(audio, desc=extractor.type_name, unit="utt"):
            for ext, writer in writers:
                writer.write(utt_id, ext(utt_id, samples))
            count += 1
        if count == 0:
            raise InputError("no utterance in the wav table", wav_rspecifier)
    log.info("computed %s features for %d utterances", "+".join(e.type_name for e, _ in outputs), count)
    return count
