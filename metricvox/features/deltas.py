"""Delta features as Kaldi's add-deltas: regression over +-window frames, edges replicated."""

import numpy as np


def delta_filters(order, window):
    """Filters for orders 0..order; filter i has 2*i*window + 1 taps, centred.

    Order 0 is [1]; order i convolves order i-1 with the regression filter
    j / sum(j^2), j = -window..window (Kaldi's DeltaFeatures scales).
    """
    regression = np.arange(-window, window + 1, dtype=np.float64)
    regression /= np.sum(regression ** 2)
    filters = [np.ones(1)]
    for _ in range(order):
        # Composing two correlations (x[t+j] weighted by filter[j]) is the
        # convolution of their filters.
        filters.append(np.convolve(filters[-1], regression))
    return filters


def add_deltas(features, order=2, window=2):
    """[features, delta, delta-delta, ...] (frames, dim * (order + 1)) float32."""
    features = np.asarray(features, dtype=np.float32)
    if order < 0 or window < 1:
        raise ValueError(f"need order >= 0 and window >= 1, got {order}, {window}")
    num_frames = features.shape[0]
    filters = delta_filters(order, window)
    reach = (len(filters[-1]) - 1) // 2
    # Replicating the edge frames is Kaldi's treatment of frames outside the utterance.
    padded = np.pad(features.astype(np.float64), ((reach, reach), (0, 0)), mode="edge")
    blocks = []
    for taps in filters:
        offset = reach - (len(taps) - 1) // 2
        block = np.zeros(features.shape, dtype=np.float64)
        for k, weight in enumerate(taps):
            if weight != 0.0:
                block += weight * padded[offset + k: offset + k + num_frames]
        blocks.append(block)
    return np.concatenate(blocks, axis=1).astype(np.float32)
