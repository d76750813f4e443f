"""metricvox-mine-pairs end to end: clustered i-vectors in, Algorithm 1's lists and a precision out."""
import re

import numpy as np
import pytest

from conftest import assert_one_line_error
from mining_reference import clustered_vectors, reference_algorithm_1
from metricvox.io import MatrixWriter
from metricvox.mining.lists import read_pairs, read_triplets

K = 4  # fewer than the 6 utterances per speaker, so every client can be right


def write_ark(path, keys, vectors, check_finite=True):
    with MatrixWriter(f"ark:{path}", check_finite=check_finite) as writer:
        for key, vector in zip(keys, vectors):
            writer.write(key, vector)
    return f"ark:{path}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mining")
    rng = np.random.default_rng(2)
    a_keys, a, a_spk = clustered_vectors(rng, 40, 6, 40, "A")
    b_keys, b, b_spk = clustered_vectors(rng, 30, 6, 40, "B")
    labels = {**a_spk, **b_spk}
    (directory / "utt2spk").write_text("".join(f"{u} {labels[u]}\n" for u in sorted(labels)))
    return dict(dir=directory, a_keys=a_keys, a=a, b_keys=b_keys, b=b, labels=labels,
                a_spec=write_ark(directory / "a.ark", a_keys, a),
                b_spec=write_ark(directory / "b.ark", b_keys, b))


def test_lists_are_algorithm_1_and_the_printed_precision_is_right(tool, corpus):
    d = corpus["dir"]
    proc = tool("metricvox-mine-pairs", "--k", K, "--block-size", 50, "--utt2spk", d / "utt2spk",
                corpus["a_spec"], corpus["b_spec"], d / "pairs", d / "triplets")
    pairs = [(p.enroll, p.test, p.is_target) for p in read_pairs(d / "pairs")]
    triplets = [t[:3] for t in read_triplets(d / "triplets")]
    expected_pairs, expected_triplets = reference_algorithm_1(
        corpus["a_keys"], corpus["a"], corpus["b_keys"], corpus["b"], K, 0.2, 0.0)
    assert sorted(pairs) == sorted(expected_pairs)
    assert sorted(triplets) == sorted(expected_triplets)

    # The precision printed, against the one worked out here from the files and utt2spk.
    labels = corpus["labels"]
    clients = [(x, y) for x, y, is_client in pairs if is_client]
    impostors = [(x, y) for x, y, is_client in pairs if not is_client]
    same = sum(labels[x] == labels[y] for x, y in clients)
    different = sum(labels[x] != labels[y] for x, y in impostors)
    assert same / len(clients) > 0.95 and different == len(impostors)
    line = next(l for l in proc.stderr.splitlines() if "precision" in l)
    assert f"speaker labels of {d / 'utt2spk'} (not used for selection)" in line
    assert f"clients {100 * same / len(clients):.2f}% same speaker ({same} of {len(clients)})" in line
    assert f"impostors 100.00% different speaker ({different} of {len(impostors)})" in line
    assert re.search(rf"clients: {len(clients)} of {K * 240} candidates", proc.stderr)
    assert re.search(rf"triplets: {len(triplets)} ", proc.stderr)
    assert "anchors have none" in proc.stderr


def test_shared_keys_are_refused(tool, corpus):
    d = corpus["dir"]
    b_spec = write_ark(d / "b_shared.ark", corpus["a_keys"][:1] + corpus["b_keys"],
                       np.vstack([corpus["a"][:1], corpus["b"]]))
    proc = tool("metricvox-mine-pairs", corpus["a_spec"], b_spec, d / "p", d / "t", check=False)
    assert_one_line_error(proc, "b_shared.ark", f"key '{corpus['a_keys'][0]}' is in both A and B")
    assert not (d / "p").exists()


def test_nan_vector_is_named(tool, corpus):
    d = corpus["dir"]
    a = corpus["a"].copy()
    a[7, 3] = np.nan
    a_spec = write_ark(d / "a_nan.ark", corpus["a_keys"], a, check_finite=False)
    proc = tool("metricvox-mine-pairs", a_spec, corpus["b_spec"], d / "p", d / "t", check=False)
    assert_one_line_error(proc, "a_nan.ark", f"'{corpus['a_keys'][7]}': NaN or infinite value")


def test_thresholds_leaving_no_pair_are_an_error_with_counts(tool, corpus):
    d = corpus["dir"]
    proc = tool("metricvox-mine-pairs", "--client-threshold", 0.999, corpus["a_spec"],
                corpus["b_spec"], d / "p", d / "t", check=False)
    assert_one_line_error(proc, "no client pairs", f"of the {10 * 240} candidate clients",
                          "has cosine >= 0.999", "the best similarity seen is 0.")
    assert not (d / "p").exists() and not (d / "t").exists()


def test_empty_b_is_named(tool, corpus):
    d = corpus["dir"]
    (d / "empty.ark").write_bytes(b"")
    proc = tool("metricvox-mine-pairs", corpus["a_spec"], f"ark:{d / 'empty.ark'}", d / "p",
                d / "t", check=False)
    assert_one_line_error(proc, "empty.ark", "no vectors in the table")
