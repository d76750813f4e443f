"""Blocked cosine top-k: equal to the full similarity matrix sorted row by row, for any block size."""
import numpy as np
import pytest
import torch

from mining_reference import brute_force_nearest
from metricvox.mining.topk import nearest_by_cosine, ordered_topk

BLOCK_SIZES = (7, 64, 1000)  # not dividing 300 or 230; smaller than k=80; larger than everything


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(3)
    return rng.standard_normal((300, 24)), rng.standard_normal((230, 24))


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
    np.testing.assert_allclose(scores, expected_scores, atol=2e-6)
    assert scores.dtype == np.float32 and indices.dtype == np.int64


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_set_against_itself_never_lists_a_vector_as_its_own_neighbour(gaussian, block_size):
    queries, _ = gaussian
    scores, indices = nearest_by_cosine(queries, queries, 80, block_size=block_size,
                                        exclude_self=True)
    expected_scores, expected_indices = brute_force_nearest(queries, queries, 80, exclude_self=True)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=2e-6)
    assert not (indices == np.arange(len(queries))[:, None]).any()


@pytest.mark.parametrize("block_size", (3, 7, 64, 1000))
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
    np.testing.assert_array_equal(scores, expected_scores.astype(np.float32))


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


def test_ordered_topk_orders_floats_of_both_signs_and_ties_by_index():
    scores = torch.tensor([[-0.5, 0.0, -0.0, 0.25, -1e-30, 1e-30, -0.5, float("-inf"), 0.25]])
    indices = torch.tensor([[10, 11, 3, 12, 13, 14, 2, 1, 15]])
    top_scores, top_indices = ordered_topk(scores, indices, 9)
    # -0.0 equals 0.0, so index 3 comes before index 11.
    assert top_indices.tolist() == [[12, 15, 14, 3, 11, 13, 2, 10, 1]]
    assert top_scores.tolist()[0][:2] == [0.25, 0.25]
