"""One optimisation step over a batch, run in chunks of at most K crops (``micro_batch: K``).

The step, and so the gradient, is that of the whole batch; only the activations kept for
the backward pass are a chunk's, which bounds the memory of training a wide network on a
big batch. Two ways, by the loss:

* a loss whose value is the mean of one term per row, with no coupling between rows
  (softmax heads, ``bce`` on pairs; the loss class says so with ``rows_independent``) is
  accumulated: each chunk's loss, weighted by its share of the rows, is backpropagated on
  its own (one forward per chunk);
* any other loss (prototypical, GE2E, n-pair, mined triplets, angular, multi) couples the
  rows, so it goes through a gradient cache (Gao et al., "Scaling deep contrastive learning
  batch size under memory limited setup", 2021): every chunk is embedded without a graph,
  the loss and its gradient with respect to the embeddings are computed on the whole batch
  (which also gives the loss's own parameters their gradients), then each chunk is embedded
  again with a graph and backpropagated from its rows of that cached gradient (one extra
  forward per chunk). Each chunk's random generator state is kept from the first pass, so
  dropout draws the same masks in both; the first pass leaves the model's buffers (batch
  norm running statistics) as they were.

With no batch norm, or batch norm in eval mode, loss and gradients equal those of the
unchunked step up to float rounding. Batch norm in train mode normalises each chunk by the
chunk's own statistics (as the chunks would be, run one after another), and its running
statistics are updated once per chunk.
"""

import contextlib

import torch

from metricvox.nnet.losses import LossOutput


def pairs_or_rows(features):
    """How many items the batch has: pairs (a (first, second) batch) or crops."""
    return features[0].shape[0] if isinstance(features, (list, tuple)) else features.shape[0]


def crops_per_item(features):
    return len(features) if isinstance(features, (list, tuple)) else 1


def chunks(features, crops):
    """Row slices of at most ``crops`` crops (a pair holds two), at least one item each."""
    items = pairs_or_rows(features)
    size = max(1, crops // crops_per_item(features))
    return [slice(start, min(start + size, items)) for start in range(0, items, size)]


def rows_of(features, rows):
    if isinstance(features, (list, tuple)):
        return [side[rows] for side in features]
    return features[rows]


def needs_chunks(features, crops):
    return bool(crops) and pairs_or_rows(features) * crops_per_item(features) > crops


def _rng_state(device):
    state = [torch.get_rng_state()]
    if device.type == "cuda":
        state.append(torch.cuda.get_rng_state(device))
    return state


def _set_rng_state(state, device):
    torch.set_rng_state(state[0])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state[1], device)


@contextlib.contextmanager
def buffers_kept(module):
    """The module's buffers (batch norm running statistics) restored after the block."""
    saved = [buffer.detach().clone() for buffer in module.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in zip(module.buffers(), saved):
                buffer.copy_(value)


def micro_batch_step(model, loss, features, labels, crops, scale=lambda tensor: tensor,
                     autocast=contextlib.nullcontext):
    """Forward and backward of one batch in chunks of at most ``crops`` crops.

    Gradients accumulate into the parameters' ``.grad`` (zero them before); ``scale`` is
    applied to what is backpropagated (a GradScaler's ``scale``), ``autocast`` wraps the
    forward passes. Returns the batch's LossOutput, detached.
    """
    if getattr(loss, "rows_independent", False):
        return _accumulated(model, loss, features, labels, crops, scale, autocast)
    return _gradient_cache(model, loss, features, labels, crops, scale, autocast)


def model_output(model, features):
    """The model on a batch: embeddings, or the pair scores of a (first, second) batch."""
    # A pair batch is (first, second): the double-branch model scores the two sides.
    return model(*features) if isinstance(features, (list, tuple)) else model(features)


def _accumulated(model, loss, features, labels, crops, scale, autocast):
    items = pairs_or_rows(features)
    total = 0.0
    logits, targets = [], []
    for rows in chunks(features, crops):
        with autocast():
            output = loss(model_output(model, rows_of(features, rows)), labels[rows])
        share = (rows.stop - rows.start) / items
        scale(output.loss * share).backward()
        total = total + output.loss.detach() * share
        if output.logits is not None:
            logits.append(output.logits.detach())
            targets.append(output.targets)
    if not logits:
        return LossOutput(total)
    return LossOutput(total, torch.cat(logits), torch.cat(targets))


def _gradient_cache(model, loss, features, labels, crops, scale, autocast):
    device = features.device
    parts = chunks(features, crops)
    states = []
    with torch.no_grad(), buffers_kept(model):
        embedded = []
        for rows in parts:
            states.append(_rng_state(device))
            with autocast():
                embedded.append(model(features[rows]))
    embeddings = torch.cat(embedded).requires_grad_()
    del embedded
    with autocast():
        output = loss(embeddings, labels)
    scale(output.loss).backward()
    after_loss = _rng_state(device)
    for rows, state in zip(parts, states):
        _set_rng_state(state, device)
        with autocast():
            chunk = model(features[rows])
        chunk.backward(embeddings.grad[rows])
    _set_rng_state(after_loss, device)
    return LossOutput(output.loss.detach(),
                      None if output.logits is None else output.logits.detach(),
                      output.targets, {k: v.detach() for k, v in output.parts.items()})
