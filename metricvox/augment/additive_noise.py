"""Additive noise, music or babble from MUSAN, at drawn signal-to-noise ratios.

Each application draws how many files to mix (1 for noise and music; 3 to 7 for babble, as
Kaldi's voxceleb v2 recipe sums MUSAN speech), then for each file a stretch as long as the
crop (a shorter file is repeated) and its own SNR, uniform in ``snr`` dB, relative to
the crop as it is then; the scaled stretches are added to the crop. Kaldi's recipe inserts
its noises as foreground events a second apart; here every noise spans the whole crop.
"""

import numpy as np

from metricvox.augment.snr import noise_at_snr


class AdditiveNoise:
    """``files``: an :class:`metricvox.augment.audio_files.AudioFiles`; ``snr``: (min, max)
    dB; ``count``: (min, max) files mixed into one crop."""

    def __init__(self, files, snr, count=(1, 1)):
        self.files = files
        self.snr = tuple(snr)
        self.count = tuple(count)

    def __call__(self, samples, rng):
        count = int(rng.integers(self.count[0], self.count[1] + 1))
        noise = np.zeros_like(samples)
        for _ in range(count):
            stretch = self.files.stretch(int(rng.integers(len(self.files))), len(samples), rng)
            noise += noise_at_snr(samples, stretch, rng.uniform(*self.snr))
        return samples + noise
