"""The training data loader, whose worker processes' bad input reaches the tool as it was raised.

torch re-raises an exception of a DataLoader worker in the main process as a new exception
of the same type whose message is the worker's whole traceback text: an InputError met
there (a feats.scp entry in a truncated ark, a wav.scp entry that is not audio) would reach
the user as one line holding a traceback. Here a worker hands such an error over as its
batch instead, pickled with its file, line and message, and the main process raises that
very error when the batch arrives. Without workers the way is the same.
"""

import torch

from metricvox.errors import InputError


class _Failed:
    """An InputError travelling as an item, then as the batch that held the item."""

    def __init__(self, error):
        self.error = error


class _ErrorsAsItems(torch.utils.data.Dataset):
    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, item):
        try:
            return self.dataset[item]
        except InputError as error:
            return _Failed(error)


def _collate_or_fail(collate):
    collate = collate or torch.utils.data.default_collate

    def collate_batch(items):
        failed = next((item for item in items if isinstance(item, _Failed)), None)
        return failed if failed is not None else collate(items)
    return collate_batch


class TrainingLoader:
    """``torch.utils.data.DataLoader(dataset, collate_fn=collate, **options)``, whose batches
    raise, in the main process, the InputError a worker met while reading them."""

    def __init__(self, dataset, collate=None, **options):
        self.loader = torch.utils.data.DataLoader(_ErrorsAsItems(dataset),
                                                  collate_fn=_collate_or_fail(collate), **options)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            if isinstance(batch, _Failed):
                raise batch.error
            yield batch
