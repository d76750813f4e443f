"""Where training crops come from: precomputed features or audio, one interface.

- :class:`FeatureCrops` crops precomputed features (a feats.scp), each matrix read on
  demand by the project's table reader (a truncated or corrupt entry is an InputError at
  its feats.scp line), so a corpus larger than memory trains as well as a small one;
- :class:`WavCrops` crops the waveform of a wav.scp entry and computes the features
  of just that crop (a :class:`metricvox.features.extraction.FeatureExtractor`),
  reading only the samples it needs from files libsndfile seeks in.

``source.crop(utterance, rng)`` is a float32 (dims x frames) tensor of
``crop_frames`` frames from a random start drawn from ``rng``. With ``mean_norm``
each crop has its per-dimension mean over its frames subtracted (what
:class:`metricvox.nnet.extraction.Embedder` does to every piece it embeds). What a
crop is paired with (a class label, a mined partner) is the dataset's business.

With an :class:`metricvox.augment.augmenter.Augmentation`, a crop of audio is augmented
on the fly before its features are computed (speed, reverberation, noises) and the
features of any crop are masked (SpecAugment) after mean normalisation. Those draws come
from a generator spawned from the crop's own, so they depend only on the crop seed, and
turning augmentation on leaves the crop positions as they were.

Utterances shorter than the crop are repeated or padded (``short``; a crop of 5 s from
UrbanSound8K's clips of at most 4 s is the nonstationary paper's own setting). A crop more
than twice as long as the longest utterance is refused: then every crop of every utterance
is mostly repeats or zeros, which no experiment means (a crop given in the wrong unit, say),
and the network would grind through that filler for hours, looking hung.
"""

import numpy as np
import soundfile
import torch

from metricvox.augment.augmenter import Augmentation
from metricvox.augment.speed import change_speed, samples_before_speed
from metricvox.data.audio import libsndfile_info, read_audio
from metricvox.data.durations import header_seconds
from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.features.framing import num_frames, window_shift, window_size
from metricvox.io.matrix_reader import read_scp_entry
from metricvox.io.pipes import is_pipe
from metricvox.nnet.crops import random_crop


class _Crops:
    """What both sources share: the sorted utterance list and the finished crop."""

    def __init__(self, utterances, where, crop_frames, short, mean_norm, augmentation):
        self.utterances = sorted(utterances)
        if not self.utterances:
            raise InputError("no utterances", where)
        self.where = str(where)
        self.crop_frames = int(crop_frames)
        self.short = short
        self.mean_norm = mean_norm
        self.augmentation = augmentation or Augmentation()

    def _refuse_crops_of_mostly_filler(self, frames_of):
        """InputError when no utterance is at least half the crop; ``frames_of(utterance)``
        is its length in frames, or None when that is not known without decoding it.

        Utterances are looked at until one is long enough: in a sane setting the first one."""
        longest = 0
        for utterance in self.utterances:
            frames = frames_of(utterance)
            if frames is None or 2 * frames >= self.crop_frames:
                return
            longest = max(longest, frames)
        filler = "repeats" if self.short == "repeat" else "zeros"
        raise InputError(f"a crop of {self.crop_frames} frames (input.crop_frames or crop_seconds) is "
                         f"more than twice the longest utterance ({longest} frames): every crop "
                         f"would be mostly {filler}; use a crop of at most {2 * longest} frames",
                         self.where)

    def crop(self, utterance, rng, speed=None):
        """``speed``: the factor of a speed class (SpeedClassDataset); None: as drawn."""
        augment_rng = rng.spawn(1)[0]  # leaves ``rng``'s own draws (the crop's start) as they were
        crop = self._frames(utterance, rng, augment_rng, speed)
        if not np.isfinite(crop).all():
            raise InputError(f"utterance {utterance} has NaN or infinite features", self.where)
        if self.mean_norm:
            crop = crop - crop.mean(axis=0, keepdims=True)
        if self.augmentation.spec is not None:
            crop = self.augmentation.spec(crop, augment_rng)
        # Models take (dims, frames): frequency first, as a spectrogram image.
        return torch.from_numpy(np.ascontiguousarray(crop.T, dtype=np.float32))


class FeatureCrops(_Crops):
    def __init__(self, feats_scp, crop_frames, short="repeat", mean_norm=False, augmentation=None):
        self.locations = {row.key: (row.rest, row.line)
                          for row in read_table(feats_scp, min_fields=2, sorted_keys=False)}
        super().__init__(list(self.locations), feats_scp, crop_frames, short, mean_norm, augmentation)
        if self.augmentation.waveform is not None or self.augmentation.speed_classes:
            raise InputError("waveform augmentation needs audio; precomputed features take "
                             "SpecAugment only", feats_scp)
        self._refuse_crops_of_mostly_filler(lambda utterance: len(self._matrix(utterance)))

    def _matrix(self, utterance):
        location, line = self.locations[utterance]
        return read_scp_entry(utterance, location, self.where, line)

    def _frames(self, utterance, rng, augment_rng, speed):
        return random_crop(self._matrix(utterance), self.crop_frames, rng, self.short)


class WavCrops(_Crops):
    """Features computed on the fly from a random stretch of each utterance's audio,
    augmented first when ``augmentation`` says so."""

    def __init__(self, wav_scp, extractor, crop_frames, short="repeat", mean_norm=False,
                 augmentation=None):
        self.sources = {row.key: (row.rest, row.line) for row in read_table(wav_scp, min_fields=2)}
        super().__init__(list(self.sources), wav_scp, crop_frames, short, mean_norm, augmentation)
        self.extractor = extractor
        self.rate = int(extractor.options.sample_frequency)
        self.crop_samples = self._samples_for(self.crop_frames)
        self._refuse_crops_of_mostly_filler(self._frames_in_header)

    def _frames_in_header(self, utterance):
        """Frames of the whole recording, from its audio header; None for a pipe or a file
        soundfile cannot open (the crop reports that)."""
        source, _ = self.sources[utterance]
        seconds = header_seconds(source)
        if seconds is None:
            return None
        return num_frames(int(round(seconds * self.rate)), self.extractor.options)

    def _samples_for(self, frames):
        """The fewest samples that give at least ``frames`` frames with these options."""
        options = self.extractor.options
        samples = (frames - 1) * window_shift(options) + window_size(options)
        if not options.snip_edges:
            samples = frames * window_shift(options)
        while num_frames(samples, options) < frames:
            samples += 1
        return samples

    def _waveform_stretch(self, utterance, rng, length):
        source, line = self.sources[utterance]
        where = (self.where, line)
        stretch = None
        if not is_pipe(source):
            try:
                info = libsndfile_info(source)
            except (soundfile.LibsndfileError, RuntimeError) as error:
                raise InputError(f"cannot read audio '{source}': {error}", *where) from None
            if info is not None and info.frames >= length:
                rate = info.samplerate
                start = int(rng.integers(0, info.frames - length + 1))
                stretch, _ = soundfile.read(source, start=start, stop=start + length,
                                            dtype="float32", always_2d=True)
                stretch = stretch.mean(axis=1, dtype=np.float32)
        if stretch is None:  # a pipe, a container libsndfile lacks, a short recording: decode it all
            samples, rate = read_audio(source, where=where)
            stretch = random_crop(samples[:, None], length, rng, self.short)[:, 0]
        if rate != self.rate:
            raise InputError(f"'{utterance}' is sampled at {rate} Hz, the features expect "
                             f"{self.rate} Hz", *where)
        return stretch

    def _frames(self, utterance, rng, augment_rng, speed):
        augmenter = self.augmentation.waveform
        if speed is None:
            speed = augmenter.draw_speed(augment_rng) if augmenter is not None else 1.0
        stretch = self._waveform_stretch(utterance, rng, samples_before_speed(self.crop_samples, speed))
        stretch = change_speed(stretch, speed)[:self.crop_samples]
        if augmenter is not None:
            stretch = augmenter(stretch, augment_rng)
        features = self.extractor(utterance, stretch)
        return features[:self.crop_frames]
