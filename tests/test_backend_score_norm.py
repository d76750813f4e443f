"""metricvox-normalize-scores: s-norm and adaptive s-norm worked out by hand on a tiny cohort."""
import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool
from metricvox.backend.plda_backend import PldaBackend


def _scores(path):
    return {(e, t): float(s) for e, t, s in (l.split() for l in path.read_text().splitlines())}


def _cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture
def tiny(tmp_path):
    sides = {"e": np.array([1.0, 0.0]), "t": np.array([0.0, 1.0]),
             "a1": np.array([1.0, 1.0]), "a2": np.array([2.0, -1.0])}
    cohort = {"c1": np.array([1.0, 0.0]), "c2": np.array([0.0, 1.0]), "c3": np.array([-1.0, 0.0]),
              "c4": np.array([3.0, 4.0])}
    kaldiio.save_ark(str(tmp_path / "sides.ark"), {k: v.astype(np.float32) for k, v in sides.items()})
    kaldiio.save_ark(str(tmp_path / "cohort.ark"), {k: v.astype(np.float32) for k, v in cohort.items()})
    # Raw scores are read from the file, whatever made them.
    (tmp_path / "raw").write_text("e t 0.3\nspkA t -0.2\n")
    (tmp_path / "map").write_text("e e\nspkA a1 a2\n")
    return tmp_path, sides


def test_snorm_and_asnorm_by_hand(tiny):
    d, sides = tiny
    # cosine against c1..c4: e -> 1, 0, -1, 0.6; t -> 0, 1, 0, 0.8
    e_all, t_all = np.array([1.0, 0.0, -1.0, 0.6]), np.array([0.0, 1.0, 0.0, 0.8])
    # spkA is the centroid of a1 and a2, (1.5, 0)
    centroid = (sides["a1"] + sides["a2"]) / 2
    a_all = np.array([_cos(centroid, c) for c in ([1, 0], [0, 1], [-1, 0], [3, 4])])

    def expected(raw, enroll, test):
        return 0.5 * ((raw - enroll.mean()) / enroll.std(ddof=1) + (raw - test.mean()) / test.std(ddof=1))

    common = ["--cohort", f"ark:{d / 'cohort.ark'}", "--enroll-map", d / "map", d / "raw",
              f"ark:{d / 'sides.ark'}"]
    run_tool("metricvox-normalize-scores", "--method", "snorm", *common, d / "snorm")
    got = _scores(d / "snorm")
    assert got[("e", "t")] == pytest.approx(expected(0.3, e_all, t_all), abs=1e-5)
    assert got[("spkA", "t")] == pytest.approx(expected(-0.2, a_all, t_all), abs=1e-5)
    # as-norm with the top 2: e -> 1, 0.6; t -> 1, 0.8
    run_tool("metricvox-normalize-scores", "--top-n", 2, *common, d / "asnorm")
    got = _scores(d / "asnorm")
    assert got[("e", "t")] == pytest.approx(expected(0.3, np.array([1.0, 0.6]), np.array([1.0, 0.8])),
                                            abs=1e-5)
    top_a = np.sort(a_all)[-2:]
    assert got[("spkA", "t")] == pytest.approx(expected(-0.2, top_a, np.array([1.0, 0.8])), abs=1e-5)
    # The default top-N (200) exceeds the cohort: as-norm is then s-norm.
    run_tool("metricvox-normalize-scores", *common, d / "all")
    assert _scores(d / "all") == pytest.approx(_scores(d / "snorm"))


def test_plda_cohort_scores_are_the_trial_scores_of_the_same_back_end(tmp_path):
    rng = np.random.default_rng(0)
    groups = [rng.normal(size=3) * 2 + rng.normal(size=(4, 3)) for _ in range(30)]
    model = tmp_path / "plda.npz"
    PldaBackend.fit(groups).save(model)
    table = {f"u{i}": rng.normal(size=3).astype(np.float32) for i in range(4)}
    cohort = {f"c{i}": rng.normal(size=3).astype(np.float32) for i in range(6)}
    kaldiio.save_ark(str(tmp_path / "emb.ark"), table)
    kaldiio.save_ark(str(tmp_path / "cohort.ark"), cohort)
    (tmp_path / "map").write_text("spk u0 u1\n")                    # a model of 2 utterances
    (tmp_path / "raw").write_text("spk u2 1.5\n")
    plda = ["--backend", "plda", "--model", model]
    run_tool("metricvox-normalize-scores", "--top-n", 3, "--cohort", f"ark:{tmp_path / 'cohort.ark'}",
             *plda, "--enroll-map", tmp_path / "map", tmp_path / "raw", f"ark:{tmp_path / 'emb.ark'}",
             tmp_path / "out")
    # The cohort scores, obtained instead as ordinary trials through metricvox-score.
    (tmp_path / "enroll_trials").write_text("".join(f"spk {c} nontarget\n" for c in cohort))
    run_tool("metricvox-score", "--trials", tmp_path / "enroll_trials", *plda, "--enroll-map",
             tmp_path / "map", f"ark:{tmp_path / 'emb.ark'}", f"ark:{tmp_path / 'cohort.ark'}",
             tmp_path / "enroll_cohort")
    (tmp_path / "test_trials").write_text("".join(f"{c} u2 nontarget\n" for c in cohort))
    run_tool("metricvox-score", "--trials", tmp_path / "test_trials", *plda,
             f"ark:{tmp_path / 'cohort.ark'}", f"ark:{tmp_path / 'emb.ark'}", tmp_path / "test_cohort")
    enroll_top = np.sort(list(_scores(tmp_path / "enroll_cohort").values()))[-3:]
    test_top = np.sort(list(_scores(tmp_path / "test_cohort").values()))[-3:]
    expected = 0.5 * ((1.5 - enroll_top.mean()) / enroll_top.std(ddof=1)
                      + (1.5 - test_top.mean()) / test_top.std(ddof=1))
    assert _scores(tmp_path / "out")[("spk", "u2")] == pytest.approx(expected, abs=1e-4)


def test_bad_cohorts_and_scores_are_one_line_errors(tiny):
    d, _ = tiny
    run = ["metricvox-normalize-scores", "--enroll-map", d / "map"]
    kaldiio.save_ark(str(d / "empty.ark"), {})
    proc = run_tool(*run, "--cohort", f"ark:{d / 'empty.ark'}", d / "raw", f"ark:{d / 'sides.ark'}",
                    d / "out", check=False)
    assert_one_line_error(proc, "empty.ark", "the cohort has 0 entries")
    assert not (d / "out").exists()
    kaldiio.save_ark(str(d / "wide.ark"), {"c1": np.ones(3, np.float32), "c2": np.zeros(3, np.float32)})
    proc = run_tool(*run, "--cohort", f"ark:{d / 'wide.ark'}", d / "raw", f"ark:{d / 'sides.ark'}",
                    "-", check=False)
    assert_one_line_error(proc, "wide.ark", "cohort entry 'c1' has dimension 3")
    kaldiio.save_ark(str(d / "same.ark"), {"c1": np.ones(2, np.float32), "c2": np.ones(2, np.float32)})
    proc = run_tool(*run, "--cohort", f"ark:{d / 'same.ark'}", d / "raw", f"ark:{d / 'sides.ark'}",
                    "-", check=False)
    assert_one_line_error(proc, "same.ark", "do not vary")
    (d / "raw2").write_text("x y 1.0\n")
    proc = run_tool(*run, "--cohort", f"ark:{d / 'cohort.ark'}", d / "raw2", f"ark:{d / 'sides.ark'}",
                    "-", check=False)
    assert_one_line_error(proc, "raw2", "none of the 1 scored trials has both embeddings")
