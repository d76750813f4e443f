"""Where training crops come from: precomputed features or audio, one interface.

- :class:`FeatureCrops` crops precomputed features (a feats.scp), read on demand
  through kaldiio's lazy scp loader, so a corpus larger than memory trains as well
  as a small one;
- :class:`WavCrops` crops the waveform of a wav.scp entry and computes the features
  of just that crop (a :class:`metricvox.features.extraction.FeatureExtractor`),
  reading only the samples it needs from seekable files.

``source.crop(utterance, rng)`` is a float32 (dims x frames) tensor of
``crop_frames`` frames from a random start drawn from ``rng``. With ``mean_norm``
each crop has its per-dimension mean over its frames subtracted (what
:class:`metricvox.nnet.extraction.Embedder` does to every piece it embeds). What a
crop is paired with (a class label, a mined partner) is the dataset's business.
"""

import kaldiio
import numpy as np
import soundfile
import torch

from metricvox.data.audio import read_audio
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.features.framing import num_frames, window_shift, window_size
from metricvox.io.pipes import is_pipe
from metricvox.nnet.crops import random_crop


class _Crops:
    """What both sources share: the sorted utterance list and the finished crop."""

    def __init__(self, utterances, where, crop_frames, short, mean_norm):
        self.utterances = sorted(utterances)
        if not self.utterances:
            raise InputError("no utterances", where)
        self.where = str(where)
        self.crop_frames = int(crop_frames)
        self.short = short
        self.mean_norm = mean_norm

    def crop(self, utterance, rng):
        crop = self._frames(utterance, rng)
        if not np.isfinite(crop).all():
            raise InputError(f"utterance {utterance} has NaN or infinite features", self.where)
        if self.mean_norm:
            crop = crop - crop.mean(axis=0, keepdims=True)
        # Models take (dims, frames): frequency first, as a spectrogram image.
        return torch.from_numpy(np.ascontiguousarray(crop.T, dtype=np.float32))


class FeatureCrops(_Crops):
    def __init__(self, feats_scp, crop_frames, short="repeat", mean_norm=False):
        # kaldiio keeps the last of two lines with one key: refuse that first, naming both lines.
        read_table(feats_scp, min_fields=2, sorted_keys=False)
        self.features = kaldiio.load_scp(str(feats_scp))
        super().__init__(list(self.features), feats_scp, crop_frames, short, mean_norm)

    def _frames(self, utterance, rng):
        return random_crop(self.features[utterance], self.crop_frames, rng, self.short)


class WavCrops(_Crops):
    """Features computed on the fly from a random stretch of each utterance's audio."""

    def __init__(self, wav_scp, extractor, crop_frames, short="repeat", mean_norm=False):
        self.sources = {row.key: (row.rest, row.line) for row in read_table(wav_scp, min_fields=2)}
        super().__init__(list(self.sources), wav_scp, crop_frames, short, mean_norm)
        self.extractor = extractor
        self.rate = int(extractor.options.sample_frequency)
        self.crop_samples = self._samples_for(self.crop_frames)

    def _samples_for(self, frames):
        """The fewest samples that give at least ``frames`` frames with these options."""
        options = self.extractor.options
        samples = (frames - 1) * window_shift(options) + window_size(options)
        if not options.snip_edges:
            samples = frames * window_shift(options)
        while num_frames(samples, options) < frames:
            samples += 1
        return samples

    def _waveform_stretch(self, utterance, rng):
        source, line = self.sources[utterance]
        where = (self.where, line)
        stretch = None
        if not is_pipe(source):
            try:
                info = soundfile.info(source)
            except (soundfile.LibsndfileError, RuntimeError) as error:
                raise InputError(f"cannot read audio '{source}': {error}", *where) from None
            rate = info.samplerate
            if info.frames >= self.crop_samples:
                start = int(rng.integers(0, info.frames - self.crop_samples + 1))
                stretch, _ = soundfile.read(source, start=start, stop=start + self.crop_samples,
                                            dtype="float32", always_2d=True)
                stretch = stretch.mean(axis=1, dtype=np.float32)
        if stretch is None:  # a pipe, or a recording shorter than the crop: decode it whole
            samples, rate = read_audio(source, where=where)
            stretch = random_crop(samples[:, None], self.crop_samples, rng, self.short)[:, 0]
        if rate != self.rate:
            raise InputError(f"'{utterance}' is sampled at {rate} Hz, the features expect "
                             f"{self.rate} Hz", *where)
        return stretch

    def _frames(self, utterance, rng):
        features = self.extractor(utterance, self._waveform_stretch(utterance, rng))
        return features[:self.crop_frames]
