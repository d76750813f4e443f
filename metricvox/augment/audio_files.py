"""A set of audio files read at one sample rate: the noises, music, speech and room
responses that augmentation mixes into training crops.

Every file's header is read when the set is made, so a file libsndfile cannot open is a
one-line error naming it before training starts, and a stretch of a long file is read
without decoding the rest of it. A file at another rate than the training audio is
resampled as it is read (:func:`metricvox.data.audio.resample`): MUSAN and RIRS_NOISES
are 16 kHz, and a model trained on 8 kHz audio still uses them. A multi-channel file
gives its first channel: the channels of a measured room response are different
microphones, and their average would smear the direct path.
"""

import math

import numpy as np
import soundfile

from metricvox.data.audio import resample
from metricvox.errors import InputError
from metricvox.nnet.crops import random_crop


class AudioFiles:
    """``paths`` (a non-empty list), read as float32 samples at ``rate`` Hz."""

    def __init__(self, paths, rate):
        self.paths = [str(path) for path in paths]
        self.rate = int(rate)
        self.headers = [self._header(path) for path in self.paths]

    @staticmethod
    def _header(path):
        """(frames, sample rate) of ``path``, or an InputError naming it."""
        try:
            info = soundfile.info(path)
        except (soundfile.LibsndfileError, RuntimeError) as error:
            raise InputError(f"cannot read audio: {error}", path) from None
        if info.frames <= 0:
            raise InputError("holds no audio samples", path)
        return info.frames, info.samplerate

    def __len__(self):
        return len(self.paths)

    def _read(self, index, start=0, stop=None):
        path = self.paths[index]
        try:
            samples, rate = soundfile.read(path, start=start, stop=stop, dtype="float32",
                                           always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as error:
            raise InputError(f"cannot decode audio: {error}", path) from None
        samples = samples[:, 0]
        if not np.isfinite(samples).all():
            raise InputError("holds NaN or infinite samples", path)
        return resample(samples, rate, self.rate) if rate != self.rate else samples

    def whole(self, index):
        """All samples of the index-th file."""
        return self._read(index)

    def stretch(self, index, length, rng):
        """``length`` consecutive samples of the index-th file from a random start drawn from
        ``rng``; a file shorter than that is repeated end to end."""
        frames, rate = self.headers[index]
        # Samples at the file's own rate that resample to at least ``length``.
        needed = math.ceil(length * rate / self.rate)
        if frames >= needed:
            start = int(rng.integers(0, frames - needed + 1))
            return self._read(index, start, start + needed)[:length]
        return random_crop(self.whole(index)[:, None], length, rng, "repeat")[:, 0]
