"""metricvox-extract: embeddings from a checkpoint, from audio or features, and the scoring pipeline."""
import re
import sys

import numpy as np
import pytest
import torch
import yaml

from conftest import REPO, run_tool
from metricvox.errors import InputError
from metricvox.features.extraction import FeatureExtractor, compute_feats_table
from metricvox.io import MatrixWriter, read_matrix_dict
from metricvox.nnet.extraction import (Embedder, crop_starts, extend_to, extract_embeddings,
                                       segment_starts)
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint
from metricvox.nnet.training.loop import train

CROP = 40
CONFIG = {
    "model": {"name": "thin_resnet34", "freq_bins": 40, "embedding_dim": 16},
    "loss": {"name": "angleproto"},
    "input": {"source": "wav", "crop_frames": CROP,
              # No dither, so that features computed twice are equal.
              "features": {"type": "fbank", "options": {"num-mel-bins": 40, "dither": 0}}},
    "sampler": {"classes_per_batch": 4, "per_class": 2},
    "optimiser": {"name": "adam", "lr": 0.001},
    "epochs": 1,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The VoxCeleb mini stand-in, its data dirs, one epoch of training on vox1_dev, and
    vox1_test's features stored by the feature library with the training's settings."""
    root = tmp_path_factory.mktemp("vox")
    run_tool("metricvox-synth-corpus", "--kind", "voxceleb", "--size", "mini", "--seed", "1",
             "--out", root / "corpus")
    run_tool(sys.executable, REPO / "egs/voxceleb/local/make_voxceleb1.py", root / "corpus/vox1",
             root / "data")
    test = root / "data/vox1_test"
    (root / "exp.yaml").write_text(yaml.safe_dump(dict(CONFIG, validation={
        "data": str(test), "metric": "eer", "trials": str(test / "trials")})))
    run_tool("metricvox-train", "--config", root / "exp.yaml", "--data", root / "data/vox1_dev",
             "--out", root / "exp", "--seed", "2", "--device", "cpu")
    fbank = FeatureExtractor.from_settings("fbank", overrides={"num-mel-bins": 40, "dither": 0})
    compute_feats_table(f"scp:{root}/data/vox1_test/wav.scp",
                        f"ark,scp:{root}/feats.ark,{root}/feats.scp", fbank)
    return root


def extract(trained, rspecifier, name, checkpoint="exp/last.pt", **mode):
    embedder = Embedder.from_checkpoint(trained / checkpoint, torch.device("cpu"))
    with MatrixWriter(f"ark:{trained}/{name}.ark") as writer:
        extract_embeddings(embedder, rspecifier, writer, **mode)
    return read_matrix_dict(f"ark:{trained}/{name}.ark")


def test_extract_score_eer_pipeline(trained):
    test = trained / "data/vox1_test"
    proc = run_tool(f"metricvox-extract --model {trained}/exp/last.pt scp:{test}/wav.scp ark:- "
                    f"| metricvox-score --trials {test}/trials - - "
                    f"| metricvox-compute-eer {test}/trials -")
    eer = float(re.search(r"EER: ([0-9.]+)%", proc.stdout.decode()).group(1))
    assert "48 target and 48 non-target" in proc.stderr
    # The trainer's validation EER of that epoch is the one the tools compute.
    validation = load_checkpoint(trained / "exp/last.pt").history[0]["validation"]
    assert 100 * validation == pytest.approx(eer, abs=1e-3)
    assert (trained / "exp/best.pt").exists()


def test_audio_in_gives_the_embeddings_of_features_computed_as_in_training(trained):
    """Embeddings from wav.scp equal those of the same features computed apart and stored."""
    from_wav = extract(trained, f"scp:{trained}/data/vox1_test/wav.scp", "from_wav")
    from_feats = extract(trained, f"scp:{trained}/feats.scp", "from_feats")
    assert sorted(from_wav) == sorted(from_feats) and len(from_wav) == 24
    for key, vector in from_wav.items():
        assert vector.shape == (16,)
        np.testing.assert_allclose(vector, from_feats[key], rtol=1e-5, atol=1e-6)


def model_of(trained):
    checkpoint = load_checkpoint(trained / "exp/last.pt")
    model = build_model("thin_resnet34", freq_bins=40, embedding_dim=16)
    model.load_state_dict(checkpoint.model_state)
    return model.eval()


def embed(model, frames):
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(frames.T))[None])[0].numpy()


def test_crops_and_segments_are_the_models_embeddings_of_those_pieces(trained):
    feats = read_matrix_dict(f"scp:{trained}/feats.scp")
    key = sorted(feats)[0]
    utterance = feats[key]
    total = utterance.shape[0]
    model = model_of(trained)

    crops = extract(trained, f"ark:{trained}/feats.ark", "crops", mode="crops", num_crops=3)[key]
    assert crops.shape == (3, 16)
    starts = [0, (total - CROP) // 2, total - CROP]
    for row, start in zip(crops, starts):
        # linspace rounding may move the middle crop by one frame at most
        candidates = [embed(model, utterance[s:s + CROP]) for s in (start, start + 1)]
        assert any(np.allclose(row, c, rtol=1e-4, atol=1e-5) for c in candidates)

    segments = extract(trained, f"ark:{trained}/feats.ark", "segments", mode="segments",
                       segment_frames=50, hop_frames=25)
    first = segments[f"{key}-0000000-0000050"]
    np.testing.assert_allclose(first, embed(model, utterance[:50]), rtol=1e-4, atol=1e-5)
    second = segments[f"{key}-0000025-0000075"]
    np.testing.assert_allclose(second, embed(model, utterance[25:75]), rtol=1e-4, atol=1e-5)
    ours = [k for k in segments if k.startswith(key + "-")]
    assert len(ours) == len(segment_starts(total, 50, 25))


def test_piece_positions():
    assert segment_starts(100, 50, 25) == [0, 25, 50]
    assert segment_starts(110, 50, 25) == [0, 25, 50, 60]  # the tail gets a window ending at 110
    assert segment_starts(30, 50, 25) == [0]
    assert crop_starts(100, 40, 4) == [0, 20, 40, 60]
    assert crop_starts(30, 40, 2) == [0, 0]


def test_short_utterances_are_repeated_or_padded():
    short = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(extend_to(short, 7, "repeat")[:, 0], [0, 2, 4, 0, 2, 4, 0])
    np.testing.assert_array_equal(extend_to(short, 5, "pad")[:, 0], [0, 2, 4, 0, 0])
    assert extend_to(short, 2, "repeat") is short


def test_audio_into_a_model_trained_on_stored_features_is_a_clear_error(trained, tmp_path):
    config = dict(CONFIG, input={"source": "feats", "crop_frames": CROP})
    data = tmp_path / "data"
    data.mkdir()
    (data / "feats.scp").write_text((trained / "feats.scp").read_text())
    (data / "utt2spk").write_text((trained / "data/vox1_test/utt2spk").read_text())
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(dict(config, sampler={
        "classes_per_batch": 3, "per_class": 2})))
    train(tmp_path / "exp.yaml", data, tmp_path / "exp")
    embedder = Embedder.from_checkpoint(tmp_path / "exp/last.pt", torch.device("cpu"))
    with pytest.raises(InputError, match="last.pt: .*no feature settings"):
        with MatrixWriter(f"ark:{tmp_path}/out.ark") as writer:
            extract_embeddings(embedder, f"scp:{trained}/data/vox1_test/wav.scp", writer)


def test_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "model.pt").write_text("not a model\n")
    with pytest.raises(InputError, match="model.pt: not a readable checkpoint"):
        Embedder.from_checkpoint(tmp_path / "model.pt", torch.device("cpu"))
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="other.pt: not a metricvox checkpoint"):
        Embedder.from_checkpoint(tmp_path / "other.pt", torch.device("cpu"))


def test_features_of_another_dimension_are_named(trained, tmp_path):
    with MatrixWriter(f"ark:{tmp_path}/wrong.ark") as writer:
        writer.write("utt-a", np.zeros((50, 24), dtype=np.float32))
    with pytest.raises(InputError, match="'utt-a' has 24-dimensional features; .* trained on 40"):
        extract(trained, f"ark:{tmp_path}/wrong.ark", "wrong")
