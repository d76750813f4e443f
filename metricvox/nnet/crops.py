"""Random fixed-length crops of an utterance's frames, for training batches.

An utterance shorter than the crop is, as configured, either repeated end to end
(``repeat``, the default: the network sees only real speech) or zero-padded at the
end (``pad``); it is never a crash.
"""

import numpy as np

from metricvox.errors import InputError

SHORT_POLICIES = ("repeat", "pad")


def random_crop(frames, num_frames, rng, short="repeat"):
    """``num_frames`` consecutive rows of ``frames`` (frames x dims) from a random start."""
    if short not in SHORT_POLICIES:
        raise InputError(f"unknown policy {short!r} for utterances shorter than the crop; "
                         f"choose from {', '.join(SHORT_POLICIES)}")
    frames = np.asarray(frames)
    total = frames.shape[0]
    if total == 0:
        raise InputError("cannot crop an utterance with no frames")
    if total < num_frames:
        if short == "repeat":
            frames = np.tile(frames, (-(-num_frames // total),) + (1,) * (frames.ndim - 1))
        else:
            padding = [(0, num_frames - total)] + [(0, 0)] * (frames.ndim - 1)
            frames = np.pad(frames, padding)
        total = frames.shape[0]
    start = int(rng.integers(0, total - num_frames + 1))
    return frames[start:start + num_frames]
