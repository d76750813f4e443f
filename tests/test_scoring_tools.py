"""metricvox-pool-feats, metricvox-score and metricvox-results-table, alone and in a pipeline."""
import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool


@pytest.fixture
def embeddings(tmp_path):
    vectors = {"a1": np.array([1.0, 0.0, 0.0], np.float32), "a2": np.array([2.0, 2.0, 0.0], np.float32),
               "b1": np.array([0.0, -3.0, 4.0], np.float32)}
    ark = tmp_path / "emb.ark"
    kaldiio.save_ark(str(ark), vectors, scp=str(tmp_path / "emb.scp"))
    trials = tmp_path / "trials"
    trials.write_text("a1 a2 target\na1 b1 nontarget\na2 b1 nontarget\n")
    return vectors, tmp_path


def test_cosine_scores_match_hand_computed(embeddings):
    _, d = embeddings
    run_tool("metricvox-score", "--trials", d / "trials", f"scp:{d / 'emb.scp'}", d / "scores")
    rows = [line.split() for line in (d / "scores").read_text().splitlines()]
    got = {(e, t): float(s) for e, t, s in rows}
    # cos(a1, a2) = 2 / (1 * sqrt(8)); cos(a1, b1) = 0; cos(a2, b1) = -6 / (sqrt(8) * 5)
    assert got == pytest.approx({("a1", "a2"): 2 / np.sqrt(8), ("a1", "b1"): 0.0,
                                 ("a2", "b1"): -6 / (np.sqrt(8) * 5)}, abs=1e-6)
    assert [r[:2] for r in rows] == [["a1", "a2"], ["a1", "b1"], ["a2", "b1"]]


def test_missing_embeddings_are_counted_or_fatal(embeddings, tmp_path):
    _, d = embeddings
    trials = d / "trials2"
    trials.write_text("a1 a2 target\na1 zz nontarget\n")
    proc = run_tool("metricvox-score", "--trials", trials, f"ark:{d / 'emb.ark'}", "-")
    assert proc.stdout.decode().split()[:2] == ["a1", "a2"]
    assert "1 of 2 trials lack an embedding" in proc.stderr
    trials.write_text("x1 zz nontarget\n")
    out = d / "never"
    proc = run_tool("metricvox-score", "--trials", trials, f"ark:{d / 'emb.ark'}", out, check=False)
    assert_one_line_error(proc, str(trials), "none of the 1 trials has both embeddings")
    assert not out.exists()


def test_pool_score_eer_pipeline(tmp_path):
    # Two "speakers" whose frames differ in mean; four utterances each.
    rng = np.random.default_rng(0)
    feats = {}
    for spk, centre in (("s1", 1.0), ("s2", -1.0)):
        for i in range(4):
            feats[f"{spk}-u{i}"] = (rng.normal(0, 0.3, (50, 4)) + centre * np.array([1, -1, 0.5, 0])
                                    ).astype(np.float32)
    kaldiio.save_ark(str(tmp_path / "feats.ark"), feats)
    keys = sorted(feats)
    trials = tmp_path / "trials"
    trials.write_text("".join(f"{a} {b} {'target' if a[:2] == b[:2] else 'nontarget'}\n"
                              for a in keys for b in keys if a < b))
    proc = run_tool(f"metricvox-pool-feats ark:{tmp_path}/feats.ark ark:- "
                    f"| metricvox-score --trials {trials} ark:- - "
                    f"| metricvox-compute-eer {trials} -")
    assert proc.stdout.decode().splitlines()[0] == "EER: 0.000%"
    # The pooled vector of one utterance is its mean then its std, per dimension.
    run_tool("metricvox-pool-feats", f"ark:{tmp_path}/feats.ark", f"ark:{tmp_path}/pooled.ark")
    pooled = dict(kaldiio.load_ark(str(tmp_path / "pooled.ark")))
    frames = feats["s1-u0"].astype(np.float64)
    np.testing.assert_allclose(pooled["s1-u0"], np.concatenate([frames.mean(0), frames.std(0)]),
                               rtol=1e-5, atol=1e-6)


def test_results_table(tmp_path):
    (tmp_path / "a").write_text("EER: 12.500%\nminDCF(p=0.01): 0.7000\n")
    (tmp_path / "b").write_text("EER: 3.250%\nminDCF(p=0.01): 0.2500\n")
    out = tmp_path / "RESULTS.md"
    proc = run_tool("metricvox-results-table", "--out", out, f"base:vox1={tmp_path / 'a'}", f"net:vox1={tmp_path / 'b'}")
    lines = proc.stdout.decode().splitlines()
    assert lines == ["| system | trials | EER (%) | minDCF(p=0.01) |", "|---|---|---|---|",
                     "| base | vox1 | 12.50 | 0.7000 |", "| net | vox1 | 3.25 | 0.2500 |"]
    assert out.read_text() == proc.stdout.decode()
    (tmp_path / "c").write_text("garbage\n")
    proc = run_tool("metricvox-results-table", f"x:y={tmp_path / 'c'}", check=False)
    assert_one_line_error(proc, f"{tmp_path / 'c'}:1", "expected 'EER: x%'")


def test_results_table_keeps_a_bar_in_a_name_inside_its_cell(tmp_path):
    (tmp_path / "a").write_text("EER: 12.500%\nminDCF(p=0.01): 0.7000\n")
    for wide, expected in (([], "| lda\\|plda | O\\|H | 12.50 | 0.7000 |"),
                           (["--wide"], "| lda\\|plda | 12.50 | 0.7000 |")):
        proc = run_tool("metricvox-results-table", *wide, f"lda|plda:O|H={tmp_path / 'a'}")
        lines = proc.stdout.decode().splitlines()
        # Markdown: a cell ends at an unescaped '|' only, so every row keeps its column count.
        assert lines[2] == expected
        assert all(len(line.replace("\\|", "").split("|")) == len(lines[0].replace("\\|", "").split("|"))
                   for line in lines)


def test_results_table_wide_puts_trial_lists_side_by_side(tmp_path):
    (tmp_path / "a").write_text("EER: 12.500%\nminDCF(p=0.01): 0.7000\nminDCF(p=0.05): 0.5000\n")
    (tmp_path / "b").write_text("EER: 3.250%\nminDCF(p=0.01): 0.2500\nminDCF(p=0.05): 0.1000\n")
    (tmp_path / "c").write_text("EER: 20.000%\nminDCF(p=0.01): 0.9000\nminDCF(p=0.05): 0.8000\n")
    proc = run_tool("metricvox-results-table", "--wide", f"base:O={tmp_path / 'a'}",
                    f"base:H={tmp_path / 'c'}", f"net:O={tmp_path / 'b'}")
    assert proc.stdout.decode().splitlines() == [
        "| system | O EER (%) | O minDCF(p=0.01) | H EER (%) | H minDCF(p=0.01) |", "|---|---|---|---|---|",
        "| base | 12.50 | 0.7000 | 20.00 | 0.9000 |", "| net | 3.25 | 0.2500 |  |  |"]


@pytest.fixture
def crop_sets(tmp_path):
    # Utterance x: two crops; y: two crops; z: one vector. Dimension 2.
    entries = {"x": np.array([[1.0, 0.0], [0.0, 1.0]], np.float32),
               "y": np.array([[1.0, 0.0], [1.0, 1.0]], np.float32),
               "z": np.array([3.0, 4.0], np.float32)}
    kaldiio.save_ark(str(tmp_path / "crops.ark"), entries)
    (tmp_path / "trials").write_text("x y target\nx z nontarget\n")
    return tmp_path


def _scores(path):
    return {(e, t): float(s) for e, t, s in (l.split() for l in path.read_text().splitlines())}


def test_multi_crop_scores_are_the_mean_over_crop_pairs(crop_sets):
    d = crop_sets
    run_tool("metricvox-score", "--trials", d / "trials", f"ark:{d / 'crops.ark'}", d / "cos")
    # cosines: x1.y1 = 1, x1.y2 = 1/sqrt2, x2.y1 = 0, x2.y2 = 1/sqrt2 -> mean (1 + sqrt2) / 4
    # x vs z: (3/5 + 4/5) / 2 = 0.7
    assert _scores(d / "cos") == pytest.approx({("x", "y"): (1 + np.sqrt(2)) / 4, ("x", "z"): 0.7},
                                               abs=1e-6)
    run_tool("metricvox-score", "--backend", "euclidean", "--trials", d / "trials",
             f"ark:{d / 'crops.ark'}", d / "euc")
    # distances: x1-y1 0, x1-y2 1, x2-y1 sqrt2, x2-y2 1 -> -(2 + sqrt2) / 4;
    # x1-z sqrt(4+16) = sqrt20, x2-z sqrt(9+9) = sqrt18 -> -(sqrt20 + sqrt18) / 2
    assert _scores(d / "euc") == pytest.approx(
        {("x", "y"): -(2 + np.sqrt(2)) / 4, ("x", "z"): -(np.sqrt(20) + np.sqrt(18)) / 2}, abs=1e-6)


def test_enrollment_of_several_utterances_by_centroid_or_by_score(tmp_path):
    vectors = {"a1": np.array([1.0, 0.0], np.float32), "a2": np.array([0.0, 1.0], np.float32),
               "t": np.array([1.0, 0.0], np.float32)}
    kaldiio.save_ark(str(tmp_path / "emb.ark"), vectors)
    (tmp_path / "trials").write_text("spkA t target\n")
    (tmp_path / "models").write_text("spkA a1 a2\n")
    common = ["--trials", tmp_path / "trials", "--enroll-map", tmp_path / "models",
              f"ark:{tmp_path / 'emb.ark'}"]
    run_tool("metricvox-score", "--average", "embedding", *common, tmp_path / "by_centroid")
    run_tool("metricvox-score", "--average", "score", *common, tmp_path / "by_score")
    # centroid (0.5, 0.5) against (1, 0): cosine 1/sqrt2; scores 1 and 0 averaged: 0.5
    assert _scores(tmp_path / "by_centroid")[("spkA", "t")] == pytest.approx(1 / np.sqrt(2), abs=1e-6)
    assert _scores(tmp_path / "by_score")[("spkA", "t")] == pytest.approx(0.5, abs=1e-6)


def test_embeddings_of_two_dimensions_are_a_one_line_error(tmp_path):
    kaldiio.save_ark(str(tmp_path / "emb.ark"), {"a": np.ones(3, np.float32),
                                                  "b": np.ones(4, np.float32)})
    (tmp_path / "trials").write_text("a b target\n")
    out = tmp_path / "scores"
    proc = run_tool("metricvox-score", "--trials", tmp_path / "trials", f"ark:{tmp_path / 'emb.ark'}",
                    out, check=False)
    assert_one_line_error(proc, str(tmp_path / "trials"), "'b' has 4, 'a' has 3")
    assert not out.exists()
