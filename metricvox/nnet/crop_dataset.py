"""Training examples: random crops of labelled utterances, as (dims x frames) tensors.

Two sources, one interface:
- :class:`FeatureCropDataset` crops precomputed features (a feats.scp), read on
  demand through kaldiio's lazy scp loader, so a corpus larger than memory trains
  as well as a small one;
- :class:`WavCropDataset` crops the waveform of a wav.scp entry and computes the
  features of just that crop (a :class:`metricvox.features.extraction.FeatureExtractor`),
  reading only the samples it needs from seekable files.

Labels come from ``utt2spk`` (or ``utt2label``), classes numbered in sorted order
of their names. With ``mean_norm`` each crop has its per-dimension mean over its
frames subtracted (what :class:`metricvox.nnet.extraction.Embedder` does to every
piece it embeds). Items are addressed by ``(index, crop_seed)`` pairs, as
:class:`metricvox.nnet.pk_sampler.PKBatchSampler` yields them, so a crop depends
only on its seed, not on which loader worker reads it.
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


class _LabelledCrops(torch.utils.data.Dataset):
    """What both sources share: the utterance list, the labels, the item protocol."""

    def __init__(self, utterances, utt2label, where, mean_norm=False):
        self.mean_norm = mean_norm
        labels = {row.key: row.fields[0] for row in read_table(utt2label, min_fields=2, max_fields=2)}
        missing = [utt for utt in utterances if utt not in labels]
        if missing:
            raise InputError(f"{len(missing)} utterances have no label in {utt2label} "
                             f"(first: {missing[0]})", where)
        self.utterances = sorted(utterances)
        if not self.utterances:
            raise InputError("no utterances", where)
        self.classes = sorted({labels[u] for u in self.utterances})
        class_index = {name: i for i, name in enumerate(self.classes)}
        self.labels = np.array([class_index[labels[u]] for u in self.utterances])

    def __len__(self):
        return len(self.utterances)

    def __getitem__(self, item):
        index, crop_seed = item
        utterance = self.utterances[index]
        crop = self._crop(utterance, np.random.default_rng(crop_seed))
        if not np.isfinite(crop).all():
            raise InputError(f"utterance {utterance} has NaN or infinite features")
        if self.mean_norm:
            crop = crop - crop.mean(axis=0, keepdims=True)
        # Models take (dims, frames): frequency first, as a spectrogram image.
        return torch.from_numpy(np.ascontiguousarray(crop.T, dtype=np.float32)), int(self.labels[index])


class FeatureCropDataset(_LabelledCrops):
    """``dataset[(index, crop_seed)]`` -> (crop of ``crop_frames`` frames, label)."""

    def __init__(self, feats_scp, utt2label, crop_frames, short="repeat", mean_norm=False):
        self.features = kaldiio.load_scp(str(feats_scp))
        super().__init__(list(self.features), utt2label, feats_scp, mean_norm)
        self.crop_frames = int(crop_frames)
        self.short = short

    def _crop(self, utterance, rng):
        return random_crop(self.features[utterance], self.crop_frames, rng, self.short)


class WavCropDataset(_LabelledCrops):
    """Features computed on the fly from a random stretch of each utterance's audio."""

    def __init__(self, wav_scp, utt2label, extractor, crop_frames, short="repeat", mean_norm=False):
        self.sources = {row.key: (row.rest, row.line) for row in read_table(wav_scp, min_fields=2)}
        self.wav_scp = str(wav_scp)
        super().__init__(list(self.sources), utt2label, wav_scp, mean_norm)
        self.extractor = extractor
        self.crop_frames = int(crop_frames)
        self.short = short
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
        where = (self.wav_scp, line)
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

    def _crop(self, utterance, rng):
        features = self.extractor(utterance, self._waveform_stretch(utterance, rng))
        return features[:self.crop_frames]
