"""Training examples of the supervised losses: random crops of labelled utterances.

Labels come from ``utt2spk`` (or ``utt2label``), classes numbered in sorted order
of their names. Items are addressed by ``(index, crop_seed)`` pairs, as
:class:`metricvox.nnet.pk_sampler.PKBatchSampler` yields them, so a crop depends
only on its seed, not on which loader worker reads it. The crops themselves come
from a source of :mod:`metricvox.nnet.crop_sources` (features or audio).
"""

import numpy as np
import torch

from metricvox.data.tables import read_table
from metricvox.errors import InputError


class LabelledCropDataset(torch.utils.data.Dataset):
    """``dataset[(index, crop_seed)]`` -> (crop, class index) of the index-th utterance."""

    def __init__(self, source, utt2label):
        self.source = source
        labels = {row.key: row.fields[0] for row in read_table(utt2label, min_fields=2, max_fields=2)}
        self.utterances = source.utterances
        missing = [utt for utt in self.utterances if utt not in labels]
        if missing:
            raise InputError(f"{len(missing)} utterances have no label in {utt2label} "
                             f"(first: {missing[0]})", source.where)
        self.classes = sorted({labels[u] for u in self.utterances})
        class_index = {name: i for i, name in enumerate(self.classes)}
        self.labels = np.array([class_index[labels[u]] for u in self.utterances])

    def __len__(self):
        return len(self.utterances)

    def __getitem__(self, item):
        index, crop_seed = item
        crop = self.source.crop(self.utterances[index], np.random.default_rng(crop_seed))
        return crop, int(self.labels[index])
