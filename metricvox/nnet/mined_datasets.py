"""Training examples of the Siamese networks: crops of mined pairs and triplets.

The unsupervised Siamese paper trains without speaker labels, from the lists that
:mod:`metricvox.mining` writes (see :mod:`metricvox.mining.lists`):

- :class:`PairCropDataset`: ``dataset[(index, crop_seed)]`` -> ((anchor crop, other
  crop), 1 for a client pair or 0 for an impostor pair), for the double-branch
  network (``siamese_pair`` model, ``bce`` loss);
- :class:`TripletCropDataset`: ``dataset[(index, crop_seed)]`` -> ((3, dims, frames)
  anchor, client and impostor crops, 0), for the triple-branch network;
  :func:`collate_triplets` lays a batch out as (3*B, dims, frames), anchor, client,
  impostor in turn, which the ``triplet`` loss with ``mining: listed`` expects.

Every utterance a list names must be in the crop source (the training data dir);
otherwise it is an error naming the list's line. The datasets have no classes.
"""

import numpy as np
import torch

from metricvox.errors import InputError
from metricvox.mining.lists import read_pairs, read_triplets


def _check_known(source, entries, path):
    """Every utterance of ``[(utterances, line)]`` is in ``source``, or an InputError."""
    known = set(source.utterances)
    for utterances, line in entries:
        for utterance in utterances:
            if utterance not in known:
                raise InputError(f"utterance {utterance} is not in {source.where}", path, line)


class _MinedCrops(torch.utils.data.Dataset):
    classes = ()
    kind = "examples"      # what one entry is, for the training log

    def __init__(self, source, entries):
        self.source = source
        self.entries = entries

    def __len__(self):
        return len(self.entries)

    def _crops(self, utterances, crop_seed):
        rng = np.random.default_rng(crop_seed)
        return [self.source.crop(u, rng) for u in utterances]


class PairCropDataset(_MinedCrops):
    kind = "mined pairs"
    def __init__(self, source, pairs_path):
        pairs = read_pairs(pairs_path)
        _check_known(source, [((p.enroll, p.test), p.line) for p in pairs], pairs_path)
        super().__init__(source, pairs)
        self.labels = np.array([int(p.is_target) for p in pairs])

    def __getitem__(self, item):
        index, crop_seed = item
        pair = self.entries[index]
        anchor, other = self._crops((pair.enroll, pair.test), crop_seed)
        return (anchor, other), int(self.labels[index])


class TripletCropDataset(_MinedCrops):
    kind = "mined triplets"
    def __init__(self, source, triplets_path):
        triplets = read_triplets(triplets_path)
        _check_known(source, [(t[:3], t.line) for t in triplets], triplets_path)
        super().__init__(source, triplets)

    def __getitem__(self, item):
        index, crop_seed = item
        return torch.stack(self._crops(self.entries[index][:3], crop_seed)), 0


def collate_triplets(items):
    """(3*B, dims, frames) crops, anchor/client/impostor in turn, and B*3 zero labels."""
    crops = torch.cat([triplet for triplet, _ in items])
    return crops, torch.zeros(crops.shape[0], dtype=torch.long)

