"""metricvox-train-ivector-extractor and metricvox-extract-ivectors: in worker processes, in a
pipeline into scoring, and their one-line errors."""
import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool
from ivector_synthetic import SpeakerCorpus, fit_ubm
from metricvox.gmm.model import Gmm
from metricvox.ivector.extractor import IvectorExtractor
from metricvox.ivector.stats import UbmAligner, collect_training_stats
from metricvox.ivector.training import initial_extractor, train_extractor


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("ivector")
    synth = SpeakerCorpus(components=6, dim=4, rank=2, seed=4)
    features, speaker_of = synth.utterances(12, 3, frames=120)
    kaldiio.save_ark(str(d / "feats.ark"), features, scp=str(d / "feats.scp"))
    fit_ubm(features, 6).save(d / "ubm.npz")
    keys = sorted(features)
    (d / "trials").write_text("".join(
        f"{a} {b} {'target' if speaker_of[a] == speaker_of[b] else 'nontarget'}\n"
        for i, a in enumerate(keys) for b in keys[i + 1:]))
    return d


def test_training_in_workers_equals_the_library_and_extraction_pipes_into_scoring(data):
    proc = run_tool("metricvox-train-ivector-extractor", "--ivector-dim", 5, "--num-iters", 2,
                    "--num-gselect", 4, "--nj", 2, "--seed", 7, "--ubm", data / "ubm.npz",
                    f"scp:{data / 'feats.scp'}", data / "ie.npz")
    assert "iteration 1/2: log-likelihood per frame" in proc.stderr
    assert "iteration 2/2: log-likelihood per frame" in proc.stderr
    trained = IvectorExtractor.load(data / "ie.npz")
    assert "on disk in" in proc.stderr and not list(data.glob(".stats.*"))  # spilled, then removed

    ubm = Gmm.load(data / "ubm.npz")
    batches, totals = collect_training_stats(UbmAligner(ubm, 4), f"scp:{data / 'feats.scp'}")
    expected, _ = train_extractor(initial_extractor(ubm, 5, seed=7, num_gselect=4),
                                  batches, totals, 2)
    np.testing.assert_allclose(trained.projection, expected.projection, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(trained.covars, expected.covars, rtol=1e-6, atol=1e-8)

    run_tool(f"metricvox-extract-ivectors --nj 2 --extractor {data / 'ie.npz'} "
             f"scp:{data / 'feats.scp'} ark:- | metricvox-score --trials {data / 'trials'} "
             f"ark:- {data / 'scores'}")
    ivectors = {k: v for b in batches for k, v in zip(b.keys, expected.extract(b))}
    for line in (data / "scores").read_text().splitlines():
        a, b, score = line.split()
        x, y = ivectors[a], ivectors[b]
        cosine = x @ y / np.linalg.norm(x) / np.linalg.norm(y)
        assert float(score) == pytest.approx(cosine, abs=1e-5)


def test_bad_input_is_one_line(data, tmp_path):
    proc = run_tool("metricvox-train-ivector-extractor", "--ivector-dim", 25, "--ubm",
                    data / "ubm.npz", f"scp:{data / 'feats.scp'}", tmp_path / "ie.npz", check=False)
    assert_one_line_error(proc, "--ivector-dim 25 must be between 1 and", "= 24")
    assert not (tmp_path / "ie.npz").exists()

    kaldiio.save_ark(str(tmp_path / "wide.ark"), {"x1": np.zeros((5, 7), np.float32)})
    extractor = initial_extractor(Gmm.load(data / "ubm.npz"), 3)
    extractor.save(tmp_path / "ie.npz")
    proc = run_tool("metricvox-extract-ivectors", "--extractor", tmp_path / "ie.npz",
                    f"ark:{tmp_path / 'wide.ark'}", f"ark:{tmp_path / 'out.ark'}", check=False)
    assert_one_line_error(proc, "wide.ark", "utterance x1: features of dimension 7 do not match "
                                            "the UBM's dimension 4")
    assert not (tmp_path / "out.ark").exists()
