"""PK sampling: every batch holds N classes (speakers) x M examples of each.

Metric-learning losses (prototypical, GE2E, triplet with mining, ...) need several
examples of every class in a batch. A batch is laid out class-major: the M
examples of its first class, then the M of the second, and so on, which is the
layout metricvox's losses expect.

Each epoch the utterances of every class are shuffled and cut into groups of M;
the groups are shuffled and dealt into batches so that no class appears twice in
one batch. A class with fewer than M utterances repeats some of them (their crops
differ), so no speaker is silently dropped. Every item comes with its own crop
seed, so the data are the same whatever the number of loader workers.
"""

import logging

import numpy as np

from metricvox.errors import InputError

log = logging.getLogger(__name__)


class PKBatchSampler:
    """Batches of ``classes_per_batch`` x ``per_class`` items, as lists of (index, crop_seed).

    ``labels``: the class of every item (dataset order). ``set_epoch(e)`` changes the
    draw, and the same (seed, epoch) always gives the same batches.
    """

    def __init__(self, labels, classes_per_batch, per_class, seed=0):
        labels = np.asarray(labels)
        classes = np.unique(labels)
        if per_class < 1 or classes_per_batch < 1:
            raise InputError(f"need at least 1 class per batch and 1 example per class, got "
                             f"N={classes_per_batch} M={per_class}")
        if classes_per_batch > len(classes):
            raise InputError(f"a batch needs {classes_per_batch} different classes but the data "
                             f"have only {len(classes)}")
        self.members = [np.flatnonzero(labels == c) for c in classes]
        short = sum(len(m) < per_class for m in self.members)
        if short:
            log.warning("%d of %d classes have fewer than %d examples; some of their examples "
                        "appear twice in a batch, with different crops", short, len(classes),
                        per_class)
        self.classes_per_batch = classes_per_batch
        self.per_class = per_class
        self.batch_size = classes_per_batch * per_class
        self.group_size = per_class   # a class's M items stay on one process under DDP
        self.seed = seed
        self.epoch = 0
        self._cache = None  # (epoch, batches): len() and iter() of one epoch agree for free

    def set_epoch(self, epoch):
        self.epoch = epoch

    def _groups(self, rng):
        """Shuffled groups of ``per_class`` indices of one class each, as (class, indices)."""
        groups = []
        for c, members in enumerate(self.members):
            order = rng.permutation(members)
            if len(order) < self.per_class:
                extra = rng.choice(members, self.per_class - len(order), replace=True)
                order = np.concatenate([order, extra])
            for start in range(0, len(order) - self.per_class + 1, self.per_class):
                groups.append((c, order[start:start + self.per_class]))
        return [groups[i] for i in rng.permutation(len(groups))]

    def _batches(self):
        if self._cache is not None and self._cache[0] == self.epoch:
            return self._cache[1]
        rng = np.random.default_rng([self.seed, self.epoch])
        # Deal the shuffled groups into the first open batch that lacks their class; a
        # batch leaves when it has N classes. Open batches left at the end are dropped.
        open_batches, batches = [], []
        for c, group in self._groups(rng):
            for batch in open_batches:
                if c not in batch[0]:
                    break
            else:
                batch = (set(), [])
                open_batches.append(batch)
            batch[0].add(c)
            batch[1].append(group)
            if len(batch[1]) == self.classes_per_batch:
                open_batches.remove(batch)
                batches.append(np.concatenate(batch[1]))
        seeds = rng.integers(0, 2**63 - 1, size=(len(batches), self.classes_per_batch * self.per_class))
        result = [list(zip(b.tolist(), s.tolist())) for b, s in zip(batches, seeds)]
        self._cache = (self.epoch, result)
        return result

    def __iter__(self):
        return iter(self._batches())

    def __len__(self):
        return len(self._batches())
