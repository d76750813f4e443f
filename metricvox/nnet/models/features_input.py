"""The input contract shared by every model: features (batch, freq_bins, frames).

Models are image networks over the time-frequency plane; this turns the feature batch into the
(batch, channels, freq_bins, frames) image they expect, after checking what a user can get wrong
(a feature type with another number of bins, an utterance too short for the network's strides).
"""
from metricvox.errors import InputError


def features_to_image(x, freq_bins, min_frames=1, channels=1):
    """Check (batch, freq_bins, frames) and add a channel axis (copied ``channels`` times)."""
    if x.dim() != 3:
        raise InputError(f"models take features shaped (batch, {freq_bins} freq_bins, frames), "
                         f"got shape {tuple(x.shape)}")
    if x.shape[1] != freq_bins:
        raise InputError(f"this model was built for {freq_bins} frequency bins, the features "
                         f"have {x.shape[1]}")
    if x.shape[2] < min_frames:
        raise InputError(f"this model needs at least {min_frames} frames, got {x.shape[2]}")
    return x.unsqueeze(1).expand(-1, channels, -1, -1)
