"""Cosine top-k: equal to a float64 similarity matrix sorted row by row (tests/mining_reference.py),
for any block size, through every stage of the search."""
import logging

import numpy as np
import pytest
import torch

from mining_reference import brute_force_nearest, clustered_vectors
from metricvox.mining.topk import _coarse_error, nearest_by_cosine

# Not dividing 300 or 230 nor a multiple of the 16-row groups; smaller than k=80; larger than all.
BLOCK_SIZES = (50, 1000)


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(3)
    # float32, as the search reads them (the reference works in float64 from these values)
    return (rng.standard_normal((300, 24), dtype=np.float32),
            rng.standard_normal((230, 24), dtype=np.float32))


def sparse_signs(rng, rows, dim=10):
    """Vectors of four +-1 entries: unit length 2, so every cosine is an exact multiple of
    1/4 in float32 and float64 alike -- exact ties everywhere."""
    vectors = np.zeros((rows, dim))
    for vector in vectors:
        vector[rng.choice(dim, 4, replace=False)] = rng.choice([-1.0, 1.0], 4)
    return vectors


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("k", (1, 10, 80))
def test_queries_against_another_set_match_brute_force(gaussian, block_size, k):
    queries, database = gaussian
    scores, indices = nearest_by_cosine(queries, database, k, block_size=block_size)
    expected_scores, expected_indices = brute_force_nearest(queries, database, k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-12)
    assert scores.dtype == np.float64 and indices.dtype == np.int64


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_set_against_itself_never_lists_a_vector_as_its_own_neighbour(gaussian, block_size):
    queries, _ = gaussian
    scores, indices = nearest_by_cosine(queries, queries, 80, block_size=block_size,
                                        exclude_self=True)
    expected_scores, expected_indices = brute_force_nearest(queries, queries, 80, exclude_self=True)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-12)
    assert not (indices == np.arange(len(queries))[:, None]).any()


@pytest.mark.parametrize("block_size", (40, 1000))
@pytest.mark.parametrize("exclude_self", (False, True))
def test_ties_go_to_the_lower_index_whatever_the_blocks(block_size, exclude_self):
    rng = np.random.default_rng(5)
    queries = sparse_signs(rng, 200)
    database = queries if exclude_self else sparse_signs(rng, 150)
    scores, indices = nearest_by_cosine(queries, database, 12, block_size=block_size,
                                        exclude_self=exclude_self)
    expected_scores, expected_indices = brute_force_nearest(queries, database, 12, exclude_self)
    # Both sides are exact here, so ties really are ties: order and values must agree exactly.
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(scores, expected_scores)


def test_a_duplicate_vector_is_a_neighbour_though_itself_is_not():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    scores, indices = nearest_by_cosine(vectors, vectors, 2, exclude_self=True, block_size=2)
    np.testing.assert_array_equal(indices, [[1, 2], [0, 2], [0, 1]])
    np.testing.assert_array_equal(scores, [[1, 0], [1, 0], [0, 0]])


def test_k_is_capped_by_the_candidates():
    vectors = np.eye(3)
    assert nearest_by_cosine(vectors, vectors[:2], 5)[1].shape == (3, 2)
    assert nearest_by_cosine(vectors, vectors, 5, exclude_self=True)[1].shape == (3, 2)
    assert nearest_by_cosine(vectors[:1], vectors[:1], 5, exclude_self=True)[1].shape == (1, 0)


def test_equal_vectors_inside_the_k_best_come_in_index_order():
    rng = np.random.default_rng(8)
    database = rng.standard_normal((500, 32))
    database[[7, 50, 120, 333]] = database[400]
    scores, indices = nearest_by_cosine(database[[400]] + 0.01, database, 8, block_size=64)
    assert indices[0, :5].tolist() == [7, 50, 120, 333, 400]
    assert len(set(scores[0, :5])) == 1


@pytest.mark.parametrize("extra", (0, None))
def test_realistic_vectors_match_a_float64_brute_force(extra, caplog):
    """i-vector-like float32 data, 400-d; with extra=0 the coarse candidates are just k, so many
    queries cannot be settled by the bound and go through the float32 and float64 stages."""
    rng = np.random.default_rng(4)
    _, a, _ = clustered_vectors(rng, 30, 25, 400, "A", noise=1.0)
    _, b, _ = clustered_vectors(rng, 25, 25, 400, "B", noise=1.0)
    with caplog.at_level(logging.INFO, logger="metricvox.mining"):
        for database, exclude_self in ((a, True), (b, False)):
            scores, indices = nearest_by_cosine(a, database, 10, block_size=300,
                                                exclude_self=exclude_self, extra=extra)
            expected_scores, expected_indices = brute_force_nearest(a, database, 10, exclude_self)
            np.testing.assert_array_equal(indices, expected_indices)
            np.testing.assert_allclose(scores, expected_scores, atol=1e-12)
    if extra == 0:
        assert "float64 search against the whole database" in caplog.text


@pytest.mark.parametrize("dtype", (torch.bfloat16, torch.float32))
def test_the_coarse_error_bound_holds(dtype):
    """Every coarse similarity (rounded unit vectors, product in dtype) lies within the bound
    used to prove candidates complete, of the float64 cosine."""
    rng = np.random.default_rng(6)
    q = rng.standard_normal((300, 400)) * rng.uniform(0.1, 10, (300, 1))
    d = rng.standard_normal((700, 400))
    d[:100] += 3 * q[:100]  # some high similarities too
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    low_q, low_d = torch.from_numpy(q).to(dtype), torch.from_numpy(d).to(dtype)
    coarse = torch.mm(low_q, low_d.T).double()
    exact = torch.from_numpy(q @ d.T)
    norms = torch.linalg.vector_norm
    query_error = norms(low_q.double() - torch.from_numpy(q), dim=1)[:, None]
    database_error = norms(low_d.double() - torch.from_numpy(d), dim=1).max()
    # _coarse_error(c) bounds the exact score of anything whose coarse score is <= c.
    limit = _coarse_error(dtype, 400, coarse, query_error, norms(low_q.double(), dim=1)[:, None],
                          database_error, norms(low_d.double(), dim=1).max())
    assert (exact <= limit).all()
    assert (limit - coarse).max() < (0.02 if dtype == torch.bfloat16 else 1e-4)
