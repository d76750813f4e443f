"""Speed perturbation that makes new classes, as WeSpeaker trains: a speaker at 0.9 or 1.1
times the speed counts as a speaker of its own (its voice is lower or higher, its
speaking rate other).

:class:`SpeedClassDataset` wraps a labelled crop dataset: item ``index + k * n`` (n
utterances) is utterance ``index`` at the k-th speed (k = 0: as recorded), labelled
with class ``label + k * c`` (c classes), named ``sp<factor>-<class>`` as Kaldi's
perturb_data_dir_speed.sh prefixes speakers. The PK sampler then draws each
(class, speed) like any class, so an epoch goes through every utterance at every
speed: 1 + len(factors) times the batches of an epoch without.
"""

import numpy as np
import torch


class SpeedClassDataset(torch.utils.data.Dataset):
    """``dataset[(index, crop_seed)]`` -> (crop at the item's speed, class index)."""

    def __init__(self, dataset, factors):
        self.dataset = dataset
        self.speeds = [None] + list(factors)
        self.classes = list(dataset.classes) + [f"sp{factor:g}-{name}" for factor in factors
                                                for name in dataset.classes]
        self.labels = np.concatenate([dataset.labels + k * len(dataset.classes)
                                      for k in range(len(self.speeds))])
        self.utterances = list(dataset.utterances) * len(self.speeds)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, item):
        index, crop_seed = item
        speed, utterance = divmod(index, len(self.dataset))
        crop = self.dataset.source.crop(self.dataset.utterances[utterance],
                                        np.random.default_rng(crop_seed), self.speeds[speed])
        return crop, int(self.labels[index])
