"""metricvox-identify: prototypes, queries of several segments, top-k, per class."""
import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool


@pytest.fixture
def setup(tmp_path):
    e = {  # three classes along three directions; queries built to land where stated
        "a1": [1, 0, 0], "a2": [1, 0.2, 0], "b1": [0, 1, 0], "b2": [0.2, 1, 0], "c1": [0, 0, 1],
        "q1": [1, 0.1, 0],          # clearly a
        "q2": [0.1, 1, 0.9],        # truth b; b first, c second
        "q3": [0.9, 0, 1], "q4": [0.8, 0.1, 1.0],   # together: truth a, but c scores higher
        "q5": [0, 0.05, 1],         # truth b; c first, b second
    }
    kaldiio.save_ark(str(tmp_path / "emb.ark"), {k: np.array(v, np.float32) for k, v in e.items()})
    (tmp_path / "enroll").write_text("a a1 a2\nb b1 b2\nc c1\n")
    (tmp_path / "queries").write_text("x1 a q1\nx2 b q2\nx3 a q3 q4\nx4 b q5\n")
    return tmp_path


def _by_hand(setup):
    """Ranks computed directly: cosine of each query centroid to each prototype centroid."""
    e = dict(kaldiio.load_ark(str(setup / "emb.ark")))
    protos = {"a": (e["a1"] + e["a2"]) / 2, "b": (e["b1"] + e["b2"]) / 2, "c": e["c1"]}
    queries = [("a", e["q1"]), ("b", e["q2"]), ("a", (e["q3"] + e["q4"]) / 2), ("b", e["q5"])]
    ranks = []
    for truth, q in queries:
        cos = {c: float(p @ q / np.linalg.norm(p) / np.linalg.norm(q)) for c, p in protos.items()}
        ranks.append(sorted(cos, key=cos.get, reverse=True).index(truth) + 1)
    return ranks


def test_top_k_accuracy_and_per_class(setup):
    assert _by_hand(setup) == [1, 1, 2, 2]
    out = run_tool("metricvox-identify", "--enroll-map", setup / "enroll", "--query-map",
                   setup / "queries", "--top-k", 1, "--top-k", 2, "--per-class", setup / "pc",
                   f"ark:{setup / 'emb.ark'}").stdout.decode()
    assert out.splitlines() == ["top-1: 50.000%", "top-2: 100.000%"]
    assert (setup / "pc").read_text().splitlines() == ["a 2 50.00 100.00", "b 2 50.00 100.00"]


def test_query_of_an_unenrolled_class_or_missing_embedding(setup):
    (setup / "queries").write_text("x1 a q1\nx2 zz q2\n")
    proc = run_tool("metricvox-identify", "--enroll-map", setup / "enroll", "--query-map",
                    setup / "queries", f"ark:{setup / 'emb.ark'}", check=False)
    assert_one_line_error(proc, f"{setup / 'queries'}:2", "class 'zz', which has no enrollment")
    (setup / "queries").write_text("x1 a q1 nope\n")
    proc = run_tool("metricvox-identify", "--enroll-map", setup / "enroll", "--query-map",
                    setup / "queries", f"ark:{setup / 'emb.ark'}", check=False)
    assert_one_line_error(proc, f"{setup / 'queries'}:1", "1 of 2 utterances have no embedding")
