"""Pair and triplet lists: written sorted, read back, bad lines named."""
import pytest

from metricvox.errors import InputError
from metricvox.mining.lists import read_pairs, read_triplets, write_pairs, write_triplets


def test_pairs_are_a_kaldi_trial_list(tmp_path):
    path = tmp_path / "pairs"
    write_pairs(path, [("b", "a", False), ("a", "c", True), ("a", "b", True)])
    assert path.read_text() == "a b target\na c target\nb a nontarget\n"
    assert [(p.enroll, p.test, p.is_target) for p in read_pairs(path)] == [
        ("a", "b", True), ("a", "c", True), ("b", "a", False)]


def test_triplets_round_trip_and_bad_line(tmp_path):
    path = tmp_path / "triplets"
    write_triplets(path, [("z", "y", "x"), ("a", "b", "c")])
    assert path.read_text() == "a b c\nz y x\n"
    assert [t[:3] for t in read_triplets(path)] == [("a", "b", "c"), ("z", "y", "x")]
    path.write_text("a b c\na b\n")
    with pytest.raises(InputError, match="triplets:2: expected 'anchor client impostor'"):
        read_triplets(path)
