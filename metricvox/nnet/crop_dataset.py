"""Training examples: random crops of the utterances of a feature table, with class labels.

Features are read on demand through kaldiio's lazy scp loader, so a corpus larger
than memory trains as well as a small one; labels come from ``utt2spk`` (or
``utt2label``), classes numbered in sorted order of their names. Items are
addressed by ``(index, crop_seed)`` pairs, as :class:`PKBatchSampler` yields them,
so a crop depends only on the seed, not on which loader worker reads it.
"""

import kaldiio
import numpy as np
import torch

from metricvox.data.tables import read_table
from metricvox.errors import InputError
from metricvox.nnet.crops import random_crop


class CropDataset(torch.utils.data.Dataset):
    """``dataset[(index, crop_seed)]`` -> (crop tensor (dims, frames), label)."""

    def __init__(self, feats_scp, utt2label, crop_frames, short="repeat"):
        labels = {row.key: row.fields[0] for row in read_table(utt2label, min_fields=2, max_fields=2)}
        self.features = kaldiio.load_scp(str(feats_scp))
        missing = [utt for utt in self.features if utt not in labels]
        if missing:
            raise InputError(f"{len(missing)} utterances of the features have no label in "
                             f"{utt2label} (first: {missing[0]})", feats_scp)
        self.utterances = sorted(self.features)
        if not self.utterances:
            raise InputError("no utterances in the feature table", feats_scp)
        self.classes = sorted({labels[u] for u in self.utterances})
        class_index = {name: i for i, name in enumerate(self.classes)}
        self.labels = np.array([class_index[labels[u]] for u in self.utterances])
        self.crop_frames = int(crop_frames)
        self.short = short

    def __len__(self):
        return len(self.utterances)

    def __getitem__(self, item):
        index, crop_seed = item
        utterance = self.utterances[index]
        frames = self.features[utterance]
        if not np.isfinite(frames).all():
            raise InputError(f"utterance {utterance} has NaN or infinite features")
        crop = random_crop(frames, self.crop_frames, np.random.default_rng(crop_seed), self.short)
        # Models take (dims, frames): frequency first, as a spectrogram image.
        return torch.from_numpy(np.ascontiguousarray(crop.T, dtype=np.float32)), int(self.labels[index])
