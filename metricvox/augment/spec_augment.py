"""SpecAugment's time and frequency masks (Park et al. 2019), on a training crop's features.

A crop is masked with probability ``probability``; each mask zeroes a band of consecutive frames (time) or feature dimensions (frequency):
its width is drawn uniformly from 1 to ``max_frames`` (or ``max_bins``, and at most the
crop's size), its start uniformly among the positions where it fits. Masks may overlap.
The masks come after the crop's mean normalisation (``input.mean_norm``), as in
WeSpeaker, where zero is the mean; on features that are not mean-normalised, zero is
simply a fixed value.
"""

import numpy as np


class SpecAugment:
    def __init__(self, probability=1.0, time_masks=1, max_frames=10, freq_masks=1, max_bins=8):
        self.probability = probability
        self.time_masks = time_masks
        self.max_frames = max_frames
        self.freq_masks = freq_masks
        self.max_bins = max_bins

    @staticmethod
    def _bands(count, widest, size, rng):
        bands = []
        for _ in range(count):
            width = int(rng.integers(1, min(widest, size) + 1))
            start = int(rng.integers(0, size - width + 1))
            bands.append((start, start + width))
        return bands

    def draw(self, frames, dims, rng):
        """(time bands, frequency bands): [(start, stop)] of frames and of dimensions."""
        return (self._bands(self.time_masks, self.max_frames, frames, rng),
                self._bands(self.freq_masks, self.max_bins, dims, rng))

    def __call__(self, features, rng):
        """A copy of ``features`` (frames x dims) with the drawn bands zeroed, or
        ``features`` themselves when no masking is drawn."""
        if rng.random() >= self.probability:
            return features
        masked = np.array(features, copy=True)
        time_bands, freq_bands = self.draw(*masked.shape, rng)
        for start, stop in time_bands:
            masked[start:stop, :] = 0
        for start, stop in freq_bands:
            masked[:, start:stop] = 0
        return masked
