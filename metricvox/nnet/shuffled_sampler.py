"""Shuffled batches of independent items: the sampler of the mined pair and triplet lists.

Each epoch the items are permuted and cut into batches of ``batch_size``; a last
batch that would be smaller is dropped (batch normalisation cannot train on a
batch of one, and every batch then has the same size). Every item carries its own
crop seed, so the data are the same whatever the number of loader workers, and the
same (seed, epoch) always gives the same batches.
"""

import numpy as np

from metricvox.errors import InputError


class ShuffledBatchSampler:
    group_size = 1   # items that must stay on one process under DDP (see distributed.py)

    def __init__(self, num_items, batch_size, seed=0):
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        if num_items < batch_size:
            raise InputError(f"a batch needs {batch_size} items but the list has only {num_items}")
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.num_items)
        seeds = rng.integers(0, 2**63 - 1, size=self.num_items)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = order[start:start + self.batch_size]
            yield list(zip(batch.tolist(), seeds[start:start + self.batch_size].tolist()))

    def __len__(self):
        return self.num_items // self.batch_size
