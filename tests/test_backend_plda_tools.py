"""metricvox-train-plda and metricvox-score --backend plda, and their bad input."""
import kaldiio
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from conftest import assert_one_line_error, run_tool
from metricvox.gmm.model import Gmm

DIM = 6


def _corpus(rng, prefix, num_speakers, per_speaker):
    """{utt: vector}: speakers y ~ N(0, I), noise strong in two directions."""
    scales = np.r_[4.0, 4.0, np.full(DIM - 2, 0.4)]
    table = {}
    for s in range(num_speakers):
        y = 1.5 * rng.normal(size=DIM)
        for i in range(per_speaker):
            table[f"{prefix}{s:02d}-{i}"] = (3.0 + y + rng.normal(size=DIM) * scales).astype(np.float32)
    return table


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("plda")
    rng = np.random.default_rng(0)
    train = _corpus(rng, "t", 60, 5)
    kaldiio.save_ark(str(d / "train.ark"), train)
    (d / "utt2spk").write_text("".join(f"{u} {u[:3]}\n" for u in sorted(train)))
    speakers = sorted({u[:3] for u in train})
    (d / "spk2utt").write_text("".join(f"{s} {' '.join(u for u in sorted(train) if u[:3] == s)}\n"
                                       for s in speakers))
    test = _corpus(rng, "e", 12, 4)
    kaldiio.save_ark(str(d / "test.ark"), test)
    keys = sorted(test)
    (d / "trials").write_text("".join(f"{a} {b} {'target' if a[:3] == b[:3] else 'nontarget'}\n"
                                      for a in keys for b in keys if a < b))
    return d, train, test


def _scores(path):
    return {(e, t): float(s) for e, t, s in (l.split() for l in path.read_text().splitlines())}


def _eer(d, scores):
    proc = run_tool("metricvox-compute-eer", d / "trials", scores)
    return float(proc.stdout.decode().split()[1].rstrip("%"))


def test_train_then_score_the_full_chain(data):
    d, train, _ = data
    model = d / "full.npz"
    run_tool("metricvox-train-plda", "--lda-dim", 4, "--wccn", "--utt2spk", d / "utt2spk",
             f"ark:{d / 'train.ark'}", model)
    with np.load(model) as archive:
        assert str(archive["format"]) == "metricvox-plda"
        assert archive["mean"].shape == (DIM,) and archive["lda"].shape == (4, DIM)
        assert archive["wccn"].shape == (4, 4) and bool(archive["length_norm"])
        assert archive["plda_transform"].shape == (4, 4) and archive["plda_psi"].shape == (4,)
    run_tool("metricvox-score", "--trials", d / "trials", "--backend", "plda", "--model", model,
             f"ark:{d / 'test.ark'}", d / "plda_scores")
    run_tool("metricvox-score", "--trials", d / "trials", f"ark:{d / 'test.ark'}", d / "cos_scores")
    assert _eer(d, d / "plda_scores") < 15.0 < 25.0 < _eer(d, d / "cos_scores")
    # spk2utt labels give the same model as utt2spk.
    run_tool("metricvox-train-plda", "--lda-dim", 4, "--wccn", "--spk2utt", d / "spk2utt",
             f"ark:{d / 'train.ark'}", d / "full2.npz")
    with np.load(model) as a, np.load(d / "full2.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])


def test_multi_utterance_enrollment_is_the_average_counted_as_n(data):
    d, _, test = data
    model = d / "plain.npz"
    run_tool("metricvox-train-plda", "--no-length-norm", "--utt2spk", d / "utt2spk",
             f"ark:{d / 'train.ark'}", model)
    (d / "models").write_text("spkA e00-0 e00-1 e00-2\n")
    (d / "trials_map").write_text("spkA e00-3 target\nspkA e01-0 nontarget\n")
    common = ["--trials", d / "trials_map", "--backend", "plda", "--model", model,
              "--enroll-map", d / "models", f"ark:{d / 'test.ark'}"]
    run_tool("metricvox-score", *common, d / "by_centroid")
    run_tool("metricvox-score", "--average", "score", *common, d / "by_score")
    # Independently: the model's B and W from the file, joint densities of [enroll mean; test].
    with np.load(model) as archive:
        inverse = np.linalg.inv(archive["plda_transform"])
        between = (inverse * archive["plda_psi"]) @ inverse.T
        within = inverse @ inverse.T
        shift = archive["mean"].astype(np.float64)            # the chain's global mean
        centre = np.concatenate([archive["plda_mean"]] * 2)

    def log_ratio(enroll_vectors, t):
        n = len(enroll_vectors)
        e = np.mean(enroll_vectors, axis=0) - shift
        top = between + within / n
        same = np.block([[top, between], [between, between + within]])
        apart = np.block([[top, 0 * between], [0 * between, between + within]])
        point = np.concatenate([e, np.asarray(t, np.float64) - shift])
        return (multivariate_normal(centre, same).logpdf(point)
                - multivariate_normal(centre, apart).logpdf(point))

    enroll = [test[u].astype(np.float64) for u in ("e00-0", "e00-1", "e00-2")]
    centroid, averaged = _scores(d / "by_centroid"), _scores(d / "by_score")
    for other in ("e00-3", "e01-0"):
        assert centroid[("spkA", other)] == pytest.approx(log_ratio(enroll, test[other]), abs=2e-5)
        expected = np.mean([log_ratio([e], test[other]) for e in enroll])
        assert averaged[("spkA", other)] == pytest.approx(expected, abs=2e-5)
    assert centroid[("spkA", "e00-3")] > 0 > centroid[("spkA", "e01-0")]


def test_unlabelled_vectors_and_single_utterance_speakers_are_counted(data, tmp_path):
    d, train, _ = data
    labels = sorted(train)[:-7]                               # the last 7 vectors unlabelled
    utt2spk = tmp_path / "utt2spk"
    utt2spk.write_text("".join(f"{u} {u[:3]}\n" for u in labels[:-4])
                       + "".join(f"{u} solo{i}\n" for i, u in enumerate(labels[-4:])))
    proc = run_tool("metricvox-train-plda", "--utt2spk", utt2spk, f"ark:{d / 'train.ark'}",
                    tmp_path / "m.npz")
    assert "7 of 300 vectors have no speaker label" in proc.stderr
    assert "4 of 62 speakers have a single utterance" in proc.stderr
    utt2spk.write_text("zz spk\n")
    proc = run_tool("metricvox-train-plda", "--utt2spk", utt2spk, f"ark:{d / 'train.ark'}",
                    tmp_path / "none.npz", check=False)
    assert_one_line_error(proc, "train.ark", "none of the 300 vectors has a speaker label")
    utt2spk.write_text("".join(f"{u} {u}\n" for u in sorted(train)))
    proc = run_tool("metricvox-train-plda", "--utt2spk", utt2spk, f"ark:{d / 'train.ark'}",
                    tmp_path / "none.npz", check=False)
    assert_one_line_error(proc, "no speaker has two or more utterances")
    assert not (tmp_path / "none.npz").exists()
    # One speaker: a model with a between-speaker covariance of zero, refused.
    utt2spk.write_text("".join(f"{u} spk\n" for u in sorted(train)))
    proc = run_tool("metricvox-train-plda", "--utt2spk", utt2spk, f"ark:{d / 'train.ark'}",
                    tmp_path / "one.npz", check=False)
    assert_one_line_error(proc, "train.ark", "only one speaker ('spk')")
    assert not (tmp_path / "one.npz").exists()


def test_bad_vectors_and_models_are_one_line_errors(data, tmp_path):
    d, train, test = data
    model = d / "bad_model.npz"
    run_tool("metricvox-train-plda", "--utt2spk", d / "utt2spk", f"ark:{d / 'train.ark'}", model)
    scoring = ["metricvox-score", "--trials", d / "trials", "--backend", "plda"]

    narrow = {k: v[:5] for k, v in test.items()}
    kaldiio.save_ark(str(tmp_path / "narrow.ark"), narrow)
    proc = run_tool(*scoring, "--model", model, f"ark:{tmp_path / 'narrow.ark'}", "-", check=False)
    assert_one_line_error(proc, str(model), "has dimension 5", "expects 6")

    broken = dict(test)
    broken["e00-0"] = np.full(DIM, np.nan, np.float32)
    kaldiio.save_ark(str(tmp_path / "nan.ark"), broken)
    proc = run_tool(*scoring, "--model", model, f"ark:{tmp_path / 'nan.ark'}", "-", check=False)
    assert_one_line_error(proc, "'e00-0'", "NaN")
    bad_train = dict(train)
    bad_train["t00-1"] = np.full(DIM, np.nan, np.float32)
    kaldiio.save_ark(str(tmp_path / "nan_train.ark"), bad_train)
    proc = run_tool("metricvox-train-plda", "--utt2spk", d / "utt2spk",
                    f"ark:{tmp_path / 'nan_train.ark'}", tmp_path / "m.npz", check=False)
    assert_one_line_error(proc, "nan_train.ark", "'t00-1'", "NaN")

    crops = {k: np.stack([v, v]) for k, v in train.items()}
    kaldiio.save_ark(str(tmp_path / "crops.ark"), crops)
    proc = run_tool("metricvox-train-plda", "--utt2spk", d / "utt2spk",
                    f"ark:{tmp_path / 'crops.ark'}", tmp_path / "m.npz", check=False)
    assert_one_line_error(proc, "one vector per utterance")

    gmm = tmp_path / "ubm.npz"
    Gmm(np.ones(2) / 2, np.zeros((2, DIM)), np.ones((2, DIM))).save(gmm)
    proc = run_tool(*scoring, "--model", gmm, f"ark:{d / 'test.ark'}", "-", check=False)
    assert_one_line_error(proc, str(gmm), "not a metricvox PLDA model file")
    (tmp_path / "text.npz").write_text("hello\n")
    proc = run_tool(*scoring, "--model", tmp_path / "text.npz", f"ark:{d / 'test.ark'}", "-",
                    check=False)
    assert_one_line_error(proc, "text.npz", "not a metricvox PLDA model file")
    proc = run_tool(*scoring, f"ark:{d / 'test.ark'}", "-", check=False)
    assert_one_line_error(proc, "--backend plda needs --model")
    proc = run_tool("metricvox-train-plda", "--lda-dim", 10, "--utt2spk", d / "utt2spk",
                    f"ark:{d / 'train.ark'}", tmp_path / "m.npz", check=False)
    assert_one_line_error(proc, "LDA dimension 10 is outside 1..6")
    proc = run_tool("metricvox-train-plda", f"ark:{d / 'train.ark'}", tmp_path / "m.npz",
                    check=False)
    assert_one_line_error(proc, "exactly one of --utt2spk and --spk2utt")


def test_a_table_in_a_file_streamed_gives_the_model_of_the_vectors_held(data, tmp_path):
    # A file is read once per stage and no vector is held; a pipe is read once and held.
    # Vectors in another order, a singleton speaker and an unlabelled vector change neither.
    d, train, _ = data
    rng = np.random.default_rng(3)
    keys = [k for k in train]
    table = {k: train[k] for k in rng.permutation(keys)}
    table["zz-0"] = table["unlabelled"] = np.ones(DIM, dtype=np.float32)
    kaldiio.save_ark(str(tmp_path / "shuffled.ark"), table, scp=str(tmp_path / "shuffled.scp"))
    (tmp_path / "utt2spk").write_text((d / "utt2spk").read_text() + "zz-0 zz\n")
    for name, rspecifier in (("streamed", f"scp:{tmp_path / 'shuffled.scp'}"),
                             ("held", f"ark:cat {tmp_path / 'shuffled.ark'} |")):
        run_tool("metricvox-train-plda", "--lda-dim", 4, "--wccn", "--utt2spk",
                 tmp_path / "utt2spk", rspecifier, tmp_path / f"{name}.npz")
        run_tool("metricvox-score", "--trials", d / "trials", "--backend", "plda", "--model",
                 tmp_path / f"{name}.npz", f"ark:{d / 'test.ark'}", tmp_path / f"{name}.scores")
    streamed, held = _scores(tmp_path / "streamed.scores"), _scores(tmp_path / "held.scores")
    assert streamed.keys() == held.keys()
    np.testing.assert_allclose([streamed[k] for k in held], list(held.values()), rtol=1e-6,
                               atol=1e-6)
    with np.load(tmp_path / "streamed.npz") as a, np.load(tmp_path / "held.npz") as b:
        np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-12)
        np.testing.assert_allclose(a["plda_psi"], b["plda_psi"], rtol=1e-9)
