"""The k most cosine-similar database vectors of every query vector: fast, bounded in memory,
and exactly the neighbours of a float64 computation.

The result is defined by float64 cosines: neighbours sorted by decreasing
similarity and, among equal similarities, by increasing database index. It is
found in three stages, each handling only the queries the previous one could
not settle:

1. A coarse search: unit vectors rounded to a low precision (bfloat16 where the
   CPU multiplies it in hardware (AMX), else float32), similarities by blocked
   matrix products, and for each query the ``k + extra`` best database rows by
   those coarse similarities -- the candidates. The query x database matrix is
   never held: each block is folded into a running candidate list (see
   ``_fold_block``).
2. The candidates are re-scored in float64 and sorted. A rigorous bound on the
   coarse error (``_coarse_error``) proves for most queries that no
   non-candidate can reach the k-th float64 score: the k best are then exact.
3. The other queries (ties at the k-th place, or candidates too close together
   for the coarse precision) go through stages 1-2 again in float32, whose
   bound is some 200 times tighter, and what is still unproven is computed in
   float64 against the whole database.
"""

import logging

import numpy as np
import torch

from metricvox.progress import progress

DEFAULT_BLOCK_SIZE = 8192
GROUP = 16         # database rows summarised by one maximum when filtering a block
RESCORE_ROWS = 1024   # queries re-scored at a time (their candidates gathered in float64)
CONVERT_ROWS = 8192   # vectors rounded to the coarse precision at a time

log = logging.getLogger("metricvox.mining")


def nearest_by_cosine(queries, database, k, *, block_size=DEFAULT_BLOCK_SIZE, device="cpu",
                      exclude_self=False, extra=None):
    """The ``k`` database rows most cosine-similar to each query row.

    ``queries`` (n, d) and ``database`` (m, d) are float arrays whose rows have
    non-zero norm. With ``exclude_self`` the two are the same set (n == m) and
    query i never counts database row i among its neighbours. ``extra`` is how
    many more candidates than ``k`` the coarse search keeps (more: fewer queries
    left to the slower stages, a slower coarse search).

    Returns ``(scores, indices)``, float64 and int64 arrays of shape (n, k'),
    k' = min(k, number of candidates per query), row-sorted by decreasing float64
    cosine, ties by increasing index.
    """
    queries = _as_float32_tensor(queries)
    database = queries if exclude_self else _as_float32_tensor(database)
    if exclude_self and queries.shape[0] != database.shape[0]:
        raise ValueError("exclude_self needs the queries and the database to be the same set")
    if block_size < 1 or k < 0:
        raise ValueError(f"block_size must be positive and k non-negative, got {block_size} and {k}")
    k = max(0, min(k, database.shape[0] - (1 if exclude_self else 0)))
    scores = np.empty((queries.shape[0], k), np.float64)
    indices = np.empty((queries.shape[0], k), np.int64)
    if k == 0:
        return scores, indices
    device = torch.device(device)
    extra = max(k, 6) if extra is None else extra
    pending = torch.arange(queries.shape[0])
    for dtype in _coarse_dtypes(device):
        settled, top_scores, top_indices = _coarse_stage(
            queries, pending, database, k, k + extra, dtype, block_size, device, exclude_self)
        log.info("%s search: the k best of %d of %d queries proven", str(dtype)[6:],
                 int(settled.sum()), len(pending))
        scores[pending[settled]] = top_scores[settled].numpy()
        indices[pending[settled]] = top_indices[settled].numpy()
        pending = pending[~settled]
        if not len(pending):
            break
    if len(pending):
        log.info("float64 search against the whole database for the %d other queries",
                 len(pending))
        top_scores, top_indices = _exact_stage(queries, pending, database, k, exclude_self)
        scores[pending], indices[pending] = top_scores.numpy(), top_indices.numpy()
    return scores, indices


def _as_float32_tensor(matrix):
    array = np.ascontiguousarray(matrix, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a (vectors x dims) matrix, got shape {array.shape}")
    return torch.from_numpy(array)


def _coarse_dtypes(device):
    """bfloat16 first where matrix products in it are ~7x faster than float32 (Intel AMX)."""
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return (torch.bfloat16, torch.float32) if device.type == "cpu" and amx else (torch.float32,)


def _unit_rows(block):
    """Float64 unit vectors of a float32 block (exact up to float64 rounding)."""
    block = block.double()
    return block / torch.linalg.vector_norm(block, dim=1, keepdim=True)


def _rounded_unit_rows(matrix, dtype, device):
    """``(unit rows in dtype on device, norm of each row's rounding error, norm of each rounded
    row)``, converted a slice at a time so that no float64 copy of the whole matrix is made."""
    rounded = torch.empty(matrix.shape, dtype=dtype, device=device)
    error = torch.empty(matrix.shape[0], dtype=torch.float64)
    norm = torch.empty(matrix.shape[0], dtype=torch.float64)
    for start in range(0, matrix.shape[0], CONVERT_ROWS):
        unit = _unit_rows(matrix[start:start + CONVERT_ROWS])
        low = unit.to(dtype)
        back = low.double()
        rounded[start:start + len(unit)] = low.to(device)
        error[start:start + len(unit)] = torch.linalg.vector_norm(back - unit, dim=1)
        norm[start:start + len(unit)] = torch.linalg.vector_norm(back, dim=1)
    return rounded, error, norm


def _coarse_stage(queries, rows, database, k, candidates, dtype, block_size, device, exclude_self):
    """Stages 1 and 2 for the query rows ``rows``: ``(settled, scores, indices)``, the best k of
    each row by float64 score and whether the bound proves them to be the best of the database."""
    available = database.shape[0] - (1 if exclude_self else 0)
    candidates = min(candidates, available)
    subset = queries if len(rows) == len(queries) else queries[rows]
    low_database, database_error, database_norm = _rounded_unit_rows(database, dtype, device)
    if subset is database:
        low_queries, query_error, query_norm = low_database, database_error, database_norm
    else:
        low_queries, query_error, query_norm = _rounded_unit_rows(subset, dtype, device)
    coarse, chosen = _coarse_candidates(low_queries, low_database, candidates, block_size,
                                        rows if exclude_self else None)
    scores, indices = _rescore(subset, database, chosen)
    if candidates == available:  # every row of the database is a candidate
        return torch.ones(len(rows), dtype=torch.bool), scores[:, :k], indices[:, :k]
    limit = _coarse_error(dtype, queries.shape[1], coarse.min(1).values.double(), query_error,
                          query_norm, database_error.max(), database_norm.max())
    return scores[:, k - 1] > limit, scores[:, :k], indices[:, :k]


def _coarse_error(dtype, dim, last_candidate, query_error, query_norm, database_error,
                  database_norm):
    """Highest float64 cosine a non-candidate can have, per query.

    A non-candidate's coarse score is at most the last candidate's, ``c``. Before the
    product rounded it to ``dtype`` it was at most c + 2u|c|; it came from rounded unit
    vectors q~ = q + e_q, d~ = d + e_d, so it differs from q.d by at most
    |e_q| |d~| + |q| |e_d| (Cauchy-Schwarz) plus the float32 accumulation error of
    ``dim`` products, gamma_dim |q~| |d~|.
    """
    output_u = torch.finfo(dtype).eps / 2
    float32_u = 2.0 ** -24
    gamma = (dim + 2) * float32_u / (1 - (dim + 2) * float32_u)
    rounding = query_error * database_norm + database_error + gamma * query_norm * database_norm
    return last_candidate + 2 * output_u * last_candidate.abs() + rounding + 1e-12


def _coarse_candidates(queries, database, count, block_size, self_rows):
    """Per query, ``count`` database rows that no other row beats in the coarse similarity:
    ``(coarse scores, indices)``, (n, count) each, unordered.

    ``self_rows`` (when the database is the query set) gives the database index of each
    query, which is then never its own candidate.
    """
    n, m = queries.shape[0], database.shape[0]
    scores = torch.empty((n, count), dtype=queries.dtype)
    indices = torch.empty((n, count), dtype=torch.int64)
    rows_per_block = min(block_size, n)
    database_rows = min(_round_up(block_size, GROUP), _round_up(m, GROUP))
    buffer = torch.empty(database_rows * rows_per_block, dtype=queries.dtype,
                         device=queries.device)
    for start in progress(range(0, n, rows_per_block), desc="nearest neighbours", unit="block"):
        stop = min(start + rows_per_block, n)
        block_scores, block_indices = _query_block_candidates(
            queries[start:stop], database, count, database_rows, buffer,
            None if self_rows is None else self_rows[start:stop].to(queries.device))
        scores[start:stop], indices[start:stop] = block_scores.cpu(), block_indices.cpu()
    return scores, indices


def _round_up(value, multiple):
    return -(-value // multiple) * multiple


def _query_block_candidates(query_block, database, count, database_rows, buffer, self_rows):
    rows = query_block.shape[0]
    device, dtype = query_block.device, query_block.dtype
    best = torch.full((rows, count), float("-inf"), dtype=dtype, device=device)
    best_indices = torch.full((rows, count), -1, dtype=torch.int64, device=device)
    bar = torch.full((rows,), float("-inf"), dtype=dtype, device=device)
    for start in range(0, database.shape[0], database_rows):
        stop = min(start + database_rows, database.shape[0])
        padded = _round_up(stop - start, GROUP)
        similarity = buffer[:padded * rows].view(padded, rows)
        # Database rows down, queries across: a group's maximum is then an elementwise max
        # of GROUP contiguous rows, the fastest reduction there is.
        torch.mm(database[start:stop], query_block.T, out=similarity[:stop - start])
        similarity[stop - start:] = float("-inf")
        if self_rows is not None:
            _mask_self(similarity, self_rows, start)
        _fold_block(similarity, start, best, best_indices, bar)
    return best, best_indices


def _mask_self(similarity, self_rows, offset):
    """Set the similarity of each query with itself (database row ``self_rows[i]``) to -inf."""
    inside = (self_rows >= offset) & (self_rows < offset + similarity.shape[0])
    queries = torch.nonzero(inside).flatten()
    similarity[self_rows[queries] - offset, queries] = float("-inf")


def _fold_block(similarity, offset, best, best_indices, bar):
    """Merge a (database rows x queries) similarity block into the running candidates.

    ``bar[i]`` is the lowest of query i's current candidates. Only groups of GROUP database
    rows whose maximum exceeds it can hold a new candidate, and after the first blocks
    they are few, so the block costs one max-reduction instead of a top-k of every row.
    The maxima are taken on the bit patterns as integers, which order like the floats
    for non-negative values: a query whose bar is negative takes every group.
    """
    groups = similarity.shape[0] // GROUP
    grouped = similarity.view(groups, GROUP, -1)
    bits = grouped.view(torch.int16 if similarity.element_size() == 2 else torch.int32)
    group_max = bits.amax(1).to(torch.int64)
    bar_bits = bar.view(bits.dtype).to(torch.int64)
    bar_bits = torch.where(bar >= 0, bar_bits, torch.iinfo(torch.int64).min)
    count = best.shape[1]
    if groups > count and not bool((bar >= 0).all()):
        # At least `count` values of the block reach its count-th highest group maximum: no
        # lower value can be a candidate. This spares the first block a top-k of every row.
        floor = torch.topk(group_max, count, dim=0, sorted=False).values.amin(0)
        bar_bits = torch.maximum(bar_bits, torch.where(floor >= 0, floor - 1, bar_bits))
    hits = torch.nonzero((group_max > bar_bits).T)   # (query, group), by query
    if not len(hits):
        return
    queries, counts = torch.unique_consecutive(hits[:, 0], return_counts=True)
    first = torch.cumsum(counts, 0) - counts
    rank = torch.arange(len(hits), device=hits.device) - torch.repeat_interleave(first, counts)
    slot = torch.repeat_interleave(torch.arange(len(queries), device=hits.device), counts)
    width = int(counts.max())
    values = torch.full((len(queries), width, GROUP), float("-inf"), dtype=similarity.dtype,
                        device=similarity.device)
    values[slot, rank] = grouped[hits[:, 1], :, hits[:, 0]]
    positions = torch.zeros((len(queries), width, GROUP), dtype=torch.int64, device=hits.device)
    positions[slot, rank] = (offset + hits[:, 1:] * GROUP
                             + torch.arange(GROUP, device=hits.device))
    merged, chosen = torch.topk(torch.cat([best[queries], values.flatten(1)], 1), count, dim=1,
                                sorted=False)
    best[queries] = merged
    best_indices[queries] = torch.cat([best_indices[queries], positions.flatten(1)], 1) \
        .gather(1, chosen)
    bar[queries] = merged.amin(1)


def _rescore(queries, database, chosen):
    """Float64 cosines of each query with its candidates, sorted by decreasing score then
    increasing index: ``(scores, indices)``."""
    scores = torch.empty(chosen.shape, dtype=torch.float64)
    indices = torch.sort(chosen, dim=1).values
    database_norm = None
    for start in range(0, len(chosen), RESCORE_ROWS):
        block = indices[start:start + RESCORE_ROWS]
        others = database[block.flatten()].double().view(*block.shape, -1)
        if database_norm is None:
            database_norm = _norms(database)
        dots = torch.bmm(others, queries[start:start + len(block)].double().unsqueeze(2))[..., 0]
        norms = _norms(queries[start:start + len(block)])[:, None] * database_norm[block]
        scores[start:start + len(block)] = dots / norms
    scores, order = torch.sort(scores, dim=1, descending=True, stable=True)
    return scores, indices.gather(1, order)


def _norms(matrix):
    return torch.linalg.vector_norm(matrix.double(), dim=1)


def _exact_stage(queries, rows, database, k, exclude_self):
    """Float64 cosines of the query rows ``rows`` with the whole database, best k each."""
    scores = torch.empty((len(rows), k), dtype=torch.float64)
    indices = torch.empty((len(rows), k), dtype=torch.int64)
    chunk = max(1, 2**25 // database.shape[0])
    database = _unit_rows(database)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        similarity = _unit_rows(queries[part]) @ database.T
        if exclude_self:
            similarity[torch.arange(len(part)), part] = float("-inf")
        # A stable sort of each row keeps equal scores in index order.
        order = torch.sort(similarity, dim=1, descending=True, stable=True).indices[:, :k]
        scores[start:start + len(part)] = similarity.gather(1, order)
        indices[start:start + len(part)] = order
    return scores, indices
