"""Algorithm 1: clients, impostors, pairs and triplets; thresholds; precision; bad vectors."""
import numpy as np
import pytest

from mining_reference import clustered_vectors, reference_algorithm_1
from metricvox.errors import InputError
from metricvox.io import MatrixWriter
from metricvox.mining.lists import write_pairs, write_triplets
from metricvox.mining.precision import mining_precision
from metricvox.mining.select import (keyed_lists, require_pairs, require_valid_databases,
                                     select_clients_and_impostors)
from metricvox.mining.vectors import read_vectors

# The hand-worked example, in 2-d (angles in degrees):
#   A: a0 (1,0) 0, a1 (1,1) 45, a2 (0,1) 90, a3 (-1,0) 180
#   B: b0 (1,-1) -45, b1 (0,-1) -90, b2 (-1,1) 135
A_KEYS = ["a0", "a1", "a2", "a3"]
A = np.array([[1, 0], [1, 1], [0, 1], [-1, 0]], np.float32)
B_KEYS = ["b0", "b1", "b2"]
B = np.array([[1, -1], [0, -1], [-1, 1]], np.float32)
# k = 2, client threshold 0.2, impostor threshold 0.0. Cosines (c45 = 0.707):
#   clients   a0: a1 c45, a2 0, [a3 -1]     -> top 2 a1, a2;  keep a1 (0 < 0.2)
#             a1: a0 c45, a2 c45 (tie: a0 first), [a3 -c45] -> keep a0, a2
#             a2: a1 c45, a0 0, a3 0 (tie: a0 first)       -> top 2 a1, a0; keep a1
#             a3: a2 0, a1 -c45, [a0 -1]    -> keep none
#   impostors a0: b0 c45, b1 0, [b2 -c45]   -> keep b0, b1 (0 >= 0.0)
#             a1: b0 0, b2 0 (tie: b0 first), [b1 -c45]  -> keep b0, b2
#             a2: b2 c45, b0 -c45, [b1 -1]  -> keep b2
#             a3: b2 c45, b1 0, [b0 -c45]   -> keep b2, b1
#   triplets: j-th client with j-th impostor, as many as the shorter list.
EXPECTED_PAIRS = """\
a0 a1 target
a0 b0 nontarget
a0 b1 nontarget
a1 a0 target
a1 a2 target
a1 b0 nontarget
a1 b2 nontarget
a2 a1 target
a2 b2 nontarget
a3 b1 nontarget
a3 b2 nontarget
"""
EXPECTED_TRIPLETS = """\
a0 a1 b0
a1 a0 b0
a1 a2 b2
a2 a1 b2
"""


def test_hand_worked_example(tmp_path):
    selection = select_clients_and_impostors(A, B, k=2, client_threshold=0.2,
                                             impostor_threshold=0.0, block_size=3)
    assert selection.clients_per_anchor.tolist() == [1, 2, 1, 0]
    assert selection.impostors_per_anchor.tolist() == [2, 2, 1, 2]
    assert selection.triplets_per_anchor.tolist() == [1, 2, 1, 0]
    pairs, triplets = keyed_lists(selection, A_KEYS, B_KEYS)
    write_pairs(tmp_path / "pairs", pairs)
    write_triplets(tmp_path / "triplets", triplets)
    assert (tmp_path / "pairs").read_text() == EXPECTED_PAIRS
    assert (tmp_path / "triplets").read_text() == EXPECTED_TRIPLETS


def test_paper_defaults_are_k_10_and_thresholds_02_00():
    selection = select_clients_and_impostors(A, B)
    assert (selection.client_threshold, selection.impostor_threshold) == (0.2, 0.0)
    # k = 10 asked, but A has only 3 other vectors and B 3 vectors.
    assert selection.client_indices.shape == selection.impostor_indices.shape == (4, 3)


def test_a_score_equal_to_the_threshold_is_kept_and_top_k_comes_before_the_threshold():
    # Four ones each: unit vectors of entries 1/2, so every cosine is exact in float32.
    # Cosines of a0 with a1..a4: 3/4, 1/4, 1/4, 0; with b0, b1: 1/2, -1/2.
    a = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 1, 1, 0],
                  [0, 1, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1]], np.float32)
    b = np.array([[1, 1, 0, 0, 0, 0, 1, 1], [-1, -1, 0, 0, 0, 0, 1, 1]], np.float32)
    at_threshold = select_clients_and_impostors(a, b, k=3, client_threshold=0.25,
                                                impostor_threshold=0.5)
    assert at_threshold.client_pairs()[:3] == [(0, 1), (0, 2), (0, 3)]
    assert at_threshold.impostor_pairs()[0] == (0, 0)
    just_above = select_clients_and_impostors(a, b, k=3, client_threshold=0.2500001,
                                              impostor_threshold=0.5000001)
    assert [p for p in just_above.client_pairs() if p[0] == 0] == [(0, 1)]
    assert not [p for p in just_above.impostor_pairs() if p[0] == 0]
    # With k = 1 only the best client counts, though three pass the threshold.
    top_one = select_clients_and_impostors(a, b, k=1, client_threshold=0.25)
    assert [p for p in top_one.client_pairs() if p[0] == 0] == [(0, 1)]


def test_clustered_data_match_the_reference_for_several_block_sizes():
    rng = np.random.default_rng(11)
    a_keys, a, _ = clustered_vectors(rng, 25, 6, 16, "A", noise=1.0)
    b_keys, b, _ = clustered_vectors(rng, 20, 6, 16, "B", noise=1.0)
    expected = reference_algorithm_1(a_keys, a, b_keys, b, 5, 0.6, 0.5)
    for block_size in (13, 150):
        selection = select_clients_and_impostors(a, b, k=5, client_threshold=0.6,
                                                 impostor_threshold=0.5, block_size=block_size)
        pairs, triplets = keyed_lists(selection, a_keys, b_keys)
        assert sorted(pairs) == sorted(expected[0])
        assert sorted(triplets) == sorted(expected[1])
    # The reference's thresholds matter here: not everything passes.
    clients = sum(is_client for _, _, is_client in expected[0])
    assert 0 < clients < 5 * len(a_keys) and 0 < len(expected[0]) - clients < 5 * len(a_keys)


def test_thresholds_that_leave_nothing_say_what_was_seen():
    selection = select_clients_and_impostors(A, B, k=2, client_threshold=0.9)
    with pytest.raises(InputError, match=r"no client pairs: none of the 8 candidate clients "
                                         r"\(2 nearest of each of 4 anchors\) has cosine >= 0.9; "
                                         r"the best similarity seen is 0.7071"):
        require_pairs(selection)
    selection = select_clients_and_impostors(A, B, k=2, impostor_threshold=0.8)
    with pytest.raises(InputError, match="no impostor pairs: none of the 8 .* best similarity "
                                         "seen is 0.7071"):
        require_pairs(selection)
    lonely = select_clients_and_impostors(A[:1], B, k=2)
    with pytest.raises(InputError, match="none of the 0 candidate clients.*no candidate at all"):
        require_pairs(lonely)


def test_clients_and_impostors_on_different_anchors_give_no_triplet():
    a = np.array([[1, 0, 0], [0.99, 0.14, 0], [0, 0, 1]], np.float32)  # a2 has no client
    b = np.array([[-1, 0, 1]], np.float32)  # an impostor (cosine >= 0) of a2 only
    selection = select_clients_and_impostors(a, b, k=1)
    assert selection.clients_per_anchor.tolist() == [1, 1, 0]
    assert selection.impostors_per_anchor.tolist() == [0, 0, 1]
    with pytest.raises(InputError, match="no triplets: 2 clients and 1 impostors were kept, "
                                         "but no anchor has both"):
        require_pairs(selection)


def test_a_and_b_of_different_dimensions():
    with pytest.raises(InputError, match="A have dimension 2 but those of B 3"):
        select_clients_and_impostors(A, np.ones((2, 3), np.float32))


def test_a_key_in_both_databases_is_named():
    require_valid_databases(["a", "b"], A[:2], ["c"], B[:1], "ark:b.ark")
    with pytest.raises(InputError, match="ark:b.ark: key 'x' is in both A and B \\(2 shared"):
        require_valid_databases(["a", "x", "y"], A[:3], ["c", "x", "y"], B, "ark:b.ark")
    with pytest.raises(InputError, match="ark:b.ark: the vectors of A have dimension 2 but"):
        require_valid_databases(["a"], A[:1], ["c"], np.ones((1, 3), np.float32), "ark:b.ark")


def test_precision_counts_against_the_labels():
    utt2spk = {"a0": "s1", "a1": "s1", "a2": "s2", "b0": "s1", "b2": "s3"}
    pairs = [("a0", "a1", True), ("a1", "a2", True), ("a3", "a2", True),  # a3 unlabelled
             ("a0", "b0", False), ("a2", "b2", False)]
    precision = mining_precision(pairs, utt2spk)
    assert (precision.clients_correct, precision.clients_judged) == (1, 2)
    assert (precision.impostors_correct, precision.impostors_judged) == (1, 2)
    assert precision.pairs_unlabelled == 1
    assert precision.client_precision == 0.5 and precision.impostor_precision == 0.5
    with pytest.raises(InputError, match="utt2spk: none of the 1 mined pairs"):
        mining_precision([("x", "y", True)], utt2spk, where="utt2spk")


def _write_table(path, entries):
    with MatrixWriter(f"ark,t:{path}", check_finite=False) as writer:
        for key, value in entries:
            writer.write(key, np.asarray(value, np.float32))
    return f"ark:{path}"


@pytest.mark.parametrize("entries, message", [
    ([], "no vectors in the table"),
    ([("u1", [1, 2]), ("u2", [1, 2, 3])], "'u2' has dimension 3, but 'u1' has 2"),
    ([("u1", [1, 2]), ("u2", [np.nan, 1])], "'u2': NaN or infinite value"),
    ([("u1", [0, 0])], "'u1' is all zeros"),
    ([("u1", [[1, 2], [3, 4]])], "'u1' is a 2x2 matrix; expected one non-empty vector"),
])
def test_bad_vector_tables_name_the_file_and_the_utterance(tmp_path, entries, message):
    spec = _write_table(tmp_path / "v.ark", entries)
    with pytest.raises(InputError, match=f"v.ark: {message}"):
        read_vectors(spec)


def test_vector_tables_read_in_table_order(tmp_path):
    spec = _write_table(tmp_path / "v.ark", [("z", [1, 2]), ("a", [[3, 4]])])
    keys, matrix = read_vectors(spec)
    assert keys == ["z", "a"]
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 4]])
    assert matrix.dtype == np.float32
