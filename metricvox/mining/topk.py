"""The k most cosine-similar database vectors of every query vector, in bounded memory.

The full query x database similarity matrix is never held: queries are taken
``block_size`` rows at a time, the database ``block_size`` rows at a time, and
each similarity block is folded into a running top-k of the query block. Working
memory is O(block_size x (block_size + k)) on top of the inputs and the (n x k)
result, whatever the sizes of the query and database sets, so a million by a
million only takes time.

Order and ties are defined, not left to ``torch.topk``: the neighbours of a query
are sorted by decreasing similarity and, among equal similarities, by increasing
database index. The result therefore does not depend on the block size or the
device's top-k algorithm (only on the float32 similarities themselves).
"""

import numpy as np
import torch

from metricvox.progress import progress

DEFAULT_BLOCK_SIZE = 4096


def nearest_by_cosine(queries, database, k, *, block_size=DEFAULT_BLOCK_SIZE, device="cpu",
                      exclude_self=False):
    """The ``k`` database rows most cosine-similar to each query row.

    ``queries`` (n, d) and ``database`` (m, d) are float arrays whose rows have
    non-zero norm. With ``exclude_self`` the two are the same set (n == m) and
    query i never counts database row i among its neighbours.

    Returns ``(scores, indices)``, float32 and int64 arrays of shape (n, k'),
    k' = min(k, number of candidates per query), row-sorted by decreasing score,
    ties by increasing index.
    """
    queries = _as_float32_tensor(queries)
    database = _as_float32_tensor(database)
    if exclude_self and queries.shape[0] != database.shape[0]:
        raise ValueError("exclude_self needs the queries and the database to be the same set")
    if block_size < 1 or k < 0:
        raise ValueError(f"block_size must be positive and k non-negative, got {block_size} and {k}")
    candidates = database.shape[0] - (1 if exclude_self else 0)
    k = max(0, min(k, candidates))
    scores = np.empty((queries.shape[0], k), np.float32)
    indices = np.empty((queries.shape[0], k), np.int64)
    if k == 0:
        return scores, indices
    device = torch.device(device)
    queries = queries.to(device)
    database = database.to(device)
    # Every similarity block is written into this one buffer: no allocation per block.
    buffer = torch.empty(min(block_size, queries.shape[0]) * min(block_size, database.shape[0]),
                         dtype=torch.float32, device=device)
    starts = range(0, queries.shape[0], block_size)
    for start in progress(starts, desc="nearest neighbours", unit="block"):
        stop = min(start + block_size, queries.shape[0])
        top_scores, top_indices = _query_block_topk(
            queries[start:stop], start if exclude_self else None, database, k, block_size, buffer)
        scores[start:stop] = top_scores.cpu().numpy()
        indices[start:stop] = top_indices.cpu().numpy()
    return scores, indices


def _as_float32_tensor(matrix):
    array = np.ascontiguousarray(matrix, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a (vectors x dims) matrix, got shape {array.shape}")
    return torch.from_numpy(array)


def _unit_rows(block):
    return block / torch.linalg.vector_norm(block, dim=1, keepdim=True)


def _query_block_topk(query_block, self_offset, database, k, block_size, buffer):
    """Running top-k of one block of queries over every block of the database.

    ``self_offset`` is the database index of the block's first query when the
    database is the query set itself (so that a query is not its own neighbour).
    """
    device = query_block.device
    query_block = _unit_rows(query_block)
    rows = query_block.shape[0]
    best_scores = torch.empty((rows, 0), dtype=torch.float32, device=device)
    best_indices = torch.empty((rows, 0), dtype=torch.int64, device=device)
    for start in range(0, database.shape[0], block_size):
        stop = min(start + block_size, database.shape[0])
        similarity = buffer[:rows * (stop - start)].view(rows, stop - start)
        torch.mm(query_block, _unit_rows(database[start:stop]).T, out=similarity)
        if self_offset is not None:
            _mask_self(similarity, self_offset, start)
        block_scores, block_indices = _block_candidates(similarity, start, k)
        best_scores, best_indices = ordered_topk(
            torch.cat([best_scores, block_scores], 1), torch.cat([best_indices, block_indices], 1),
            min(k, best_scores.shape[1] + block_scores.shape[1]))
    return best_scores, best_indices


def _mask_self(similarity, query_offset, database_offset):
    """Set similarity[i, j] to -inf where query i and database row j are the same vector."""
    first = max(query_offset, database_offset)
    last = min(query_offset + similarity.shape[0], database_offset + similarity.shape[1])
    if first < last:
        same = torch.arange(first, last, device=similarity.device)
        similarity[same - query_offset, same - database_offset] = float("-inf")


def _block_candidates(similarity, offset, k):
    """The at most k entries of each row of a similarity block that can be in the final top-k.

    ``torch.topk`` picks arbitrarily among equal values, so its choice is used only
    where it is unique: when the k-th and (k+1)-th largest values of a row differ.
    Rows with a tie across that boundary (rare with real vectors) are redone exactly.
    """
    rows, columns = similarity.shape
    all_indices = torch.arange(offset, offset + columns, device=similarity.device)
    if columns <= k:  # (a copy: the similarity buffer is overwritten by the next block)
        return similarity.clone(), all_indices.expand(rows, columns)
    values, positions = torch.topk(similarity, k + 1, dim=1, sorted=True)
    scores, indices = values[:, :k], positions[:, :k] + offset
    tied = torch.nonzero(values[:, k - 1] == values[:, k]).flatten()
    if tied.numel():
        exact_scores, exact_indices = ordered_topk(
            similarity[tied], all_indices.expand(tied.numel(), columns), k)
        scores, indices = scores.clone(), indices.clone()
        scores[tied], indices[tied] = exact_scores, exact_indices
    return scores, indices


def ordered_topk(scores, indices, k):
    """Per row, the k entries of highest score, ties going to the lowest index, sorted.

    Score and index are packed into one int64 key (order-preserving integer image
    of the float32 score in the high 32 bits, the complemented index in the low
    32), so a plain top-k over unique keys gives the defined order.
    """
    bits = (scores + 0.0).view(torch.int32)  # + 0.0 turns -0.0 into +0.0
    # Negative floats order backwards as integers: flipping their magnitude bits fixes that.
    ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).to(torch.int64)
    keys = ordered * 2**32 + (2**32 - 1 - indices)
    chosen = torch.topk(keys, k, dim=1, sorted=True).indices
    return scores.gather(1, chosen), indices.gather(1, chosen)
