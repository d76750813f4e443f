"""PK batches, random crops, and the crop dataset behind a torch DataLoader."""
import kaldiio
import numpy as np
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.crop_dataset import LabelledCropDataset
from metricvox.nnet.crop_sources import FeatureCrops, WavCrops
from metricvox.nnet.crops import random_crop
from metricvox.nnet.pk_sampler import PKBatchSampler


def _labels():
    # 7 classes with 2..9 examples each, interleaved in dataset order.
    counts = [9, 6, 4, 8, 2, 5, 7]
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return np.random.default_rng(5).permutation(labels)


def test_every_batch_is_n_distinct_classes_of_m_each_class_major():
    labels = _labels()
    sampler = PKBatchSampler(labels, classes_per_batch=3, per_class=2, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) > 0
    seen = []
    for batch in batches:
        indices = [i for i, _ in batch]
        classes = labels[indices].reshape(3, 2)
        assert (classes == classes[:, :1]).all()           # M of one class, then the next
        assert len(set(classes[:, 0])) == 3                # N different classes
        seen += indices
    # Each utterance at most once per epoch, and most of them used (3 x 2 = 6 per batch).
    assert len(seen) == len(set(seen))
    assert len(seen) >= len(labels) - 3 * 2 * 2


def test_same_seed_and_epoch_same_batches_other_epoch_differs():
    labels = _labels()
    a, b = PKBatchSampler(labels, 2, 2, seed=3), PKBatchSampler(labels, 2, 2, seed=3)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)


def test_classes_with_too_few_examples_repeat_rather_than_vanish():
    labels = np.array([0, 0, 0, 0, 1, 2, 2, 2])
    sampler = PKBatchSampler(labels, classes_per_batch=3, per_class=3, seed=0)
    batch = next(iter(sampler))
    indices = [i for i, _ in batch]
    assert sorted(labels[indices].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert indices[labels[indices].tolist().index(1):][:3] == [4, 4, 4]


def test_impossible_batch_shapes_are_input_errors():
    with pytest.raises(InputError, match="needs 8 different classes but the data have only 7"):
        PKBatchSampler(_labels(), classes_per_batch=8, per_class=2)
    with pytest.raises(InputError, match="at least 1"):
        PKBatchSampler(_labels(), classes_per_batch=2, per_class=0)


def test_random_crop_is_a_window_of_the_utterance():
    frames = np.arange(50, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    crop = random_crop(frames, 20, np.random.default_rng(0))
    start = int(crop[0, 0])
    np.testing.assert_array_equal(crop, frames[start:start + 20])
    starts = {int(random_crop(frames, 20, np.random.default_rng(s))[0, 0]) for s in range(200)}
    assert starts == set(range(31))                      # every start 0..30 is possible


def test_short_utterances_repeat_or_pad():
    frames = np.array([[1.0], [2.0], [3.0]])
    repeated = random_crop(frames, 7, np.random.default_rng(0), short="repeat")[:, 0]
    assert len(repeated) == 7
    assert all((b - a) % 3 == 1 for a, b in zip(repeated, repeated[1:]))   # 1,2,3,1,2,... cycle
    padded = random_crop(frames, 5, np.random.default_rng(0), short="pad")[:, 0]
    np.testing.assert_array_equal(padded, [1, 2, 3, 0, 0])
    with pytest.raises(InputError, match="unknown policy 'crash'"):
        random_crop(frames, 5, np.random.default_rng(0), short="crash")


@pytest.fixture
def feature_table(tmp_path):
    rng = np.random.default_rng(0)
    feats = {f"spk{s}-utt{u}": rng.normal(s, 1, (30 + 10 * u, 4)).astype(np.float32)
             for s in range(4) for u in range(3)}
    kaldiio.save_ark(str(tmp_path / "feats.ark"), feats, scp=str(tmp_path / "feats.scp"))
    (tmp_path / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in sorted(feats)))
    return tmp_path, feats


def test_crop_dataset_through_dataloader_is_worker_independent(feature_table):
    d, feats = feature_table
    dataset = LabelledCropDataset(FeatureCrops(d / "feats.scp", crop_frames=25), d / "utt2spk")
    assert dataset.classes == ["spk0", "spk1", "spk2", "spk3"]

    def epoch(workers):
        sampler = PKBatchSampler(dataset.labels, classes_per_batch=2, per_class=3, seed=7)
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=workers)
        return [(x.clone(), y.clone()) for x, y in loader]

    serial, parallel = epoch(0), epoch(2)
    assert len(serial) == 2
    for (xs, ys), (xp, yp) in zip(serial, parallel):
        assert xs.shape == (6, 4, 25)                    # batch x dims x frames
        torch.testing.assert_close(xs, xp)
        assert ys.tolist() == yp.tolist()
        assert ys.tolist()[:3] == [ys[0].item()] * 3
    # A crop is a window of its utterance's features, transposed to dims x frames.
    x, y = dataset[(dataset.utterances.index("spk2-utt1"), 11)]
    source = feats["spk2-utt1"].T
    assert y == 2 and any(np.array_equal(x.numpy(), source[:, s:s + 25])
                          for s in range(source.shape[1] - 24))


def test_unlabelled_utterances_are_an_input_error(feature_table):
    d, _ = feature_table
    (d / "utt2spk").write_text("spk0-utt0 spk0\n")
    with pytest.raises(InputError, match="11 utterances have no label"):
        LabelledCropDataset(FeatureCrops(d / "feats.scp", crop_frames=25), d / "utt2spk")


def test_a_crop_more_than_twice_the_longest_utterance_is_refused_naming_the_table(feature_table):
    # Utterances of 30, 40 and 50 frames: a crop of 100 is still half speech for the longest (a
    # crop longer than every utterance is a designed use: repeat or pad). Past that, every crop
    # of every utterance is mostly filler, and training grinds through it as if hung.
    d, _ = feature_table
    assert FeatureCrops(d / "feats.scp", crop_frames=100).crop_frames == 100
    with pytest.raises(InputError, match=r"feats.scp: a crop of 101 frames .* more than twice the longest "
                                         r"utterance \(50 frames\).* mostly repeats; .* at most 100 frames"):
        FeatureCrops(d / "feats.scp", crop_frames=101)
    with pytest.raises(InputError, match="mostly zeros"):
        FeatureCrops(d / "feats.scp", crop_frames=101, short="pad")


def test_a_wav_crop_more_than_twice_the_longest_recording_is_refused_by_its_header(tmp_path):
    import soundfile

    from metricvox.features.extraction import FeatureExtractor

    # 0.5 s at 16 kHz: 1 + (8000 - 400) // 160 = 48 frames of 25 ms every 10 ms.
    for utt in ("a-1", "b-1"):
        soundfile.write(tmp_path / f"{utt}.wav", np.zeros(8000), 16000)
    (tmp_path / "wav.scp").write_text(f"a-1 {tmp_path}/a-1.wav\nb-1 {tmp_path}/b-1.wav\n")
    extractor = FeatureExtractor.from_settings("fbank", overrides={"dither": 0.0})
    assert WavCrops(tmp_path / "wav.scp", extractor, crop_frames=96).crop_frames == 96
    with pytest.raises(InputError, match=r"wav.scp: a crop of 97 frames .* longest utterance \(48 frames\)"):
        WavCrops(tmp_path / "wav.scp", extractor, crop_frames=97)
    # A pipe is not decoded to learn its length: the crop is then taken on trust.
    (tmp_path / "wav.scp").write_text(f"a-1 cat {tmp_path}/a-1.wav |\nb-1 {tmp_path}/b-1.wav\n")
    assert WavCrops(tmp_path / "wav.scp", extractor, crop_frames=97).crop_frames == 97


def test_wav_crops_are_windows_of_the_whole_utterance_features(tmp_path):
    import soundfile

    from metricvox.features.extraction import FeatureExtractor

    rng = np.random.default_rng(2)
    lines = []
    for utt, seconds in (("a-1", 1.3), ("a-2", 0.2), ("b-1", 0.9)):
        soundfile.write(tmp_path / f"{utt}.wav", rng.uniform(-0.5, 0.5, int(16000 * seconds)), 16000,
                        subtype="FLOAT")
        lines.append(f"{utt} {tmp_path / utt}.wav\n")
    (tmp_path / "wav.scp").write_text("".join(lines))
    (tmp_path / "utt2spk").write_text("a-1 a\na-2 a\nb-1 b\n")
    extractor = FeatureExtractor.from_settings("fbank", overrides={"dither": 0.0})
    dataset = LabelledCropDataset(WavCrops(tmp_path / "wav.scp", extractor, crop_frames=40), tmp_path / "utt2spk")
    samples = soundfile.read(tmp_path / "a-1.wav", dtype="float32")[0]
    # The first frame of every possible start sample: frames shifted by one sample.
    every_start = FeatureExtractor.from_settings(
        "fbank", overrides={"dither": 0.0, "frame-shift": 1000 / 16000})("a-1", samples)
    starts = set()
    for seed in range(5):
        crop, label = dataset[(0, seed)]
        assert crop.shape == (23, 40) and label == 0
        first = crop.numpy()[:, 0]
        start = int(np.argmin(np.abs(every_start - first).max(axis=1)))
        # The crop is the features of the 40 frames of audio from that sample on.
        stretch = samples[start:start + dataset.source.crop_samples]
        np.testing.assert_allclose(crop.numpy().T, extractor("a-1", stretch)[:40], atol=1e-4)
        starts.add(start)
    assert len(starts) > 1
    # 0.2 s is shorter than 40 frames (0.415 s): repeated, still 40 frames.
    crop, _ = dataset[(1, 0)]
    assert crop.shape == (23, 40)


def test_mean_norm_crops_are_the_plain_crops_minus_their_mean(feature_table):
    d, _ = feature_table
    plain = LabelledCropDataset(FeatureCrops(d / "feats.scp", crop_frames=25), d / "utt2spk")
    normed = LabelledCropDataset(FeatureCrops(d / "feats.scp", crop_frames=25, mean_norm=True), d / "utt2spk")
    x, _ = plain[(3, 99)]
    y, _ = normed[(3, 99)]
    expected = x.numpy() - x.numpy().mean(axis=1, keepdims=True)   # tensors are dims x frames
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-5)


def test_mean_norm_embeddings_ignore_a_constant_offset_per_dimension():
    from metricvox.nnet.extraction import Embedder
    from metricvox.nnet.models import build_model

    torch.manual_seed(0)
    model = build_model("thin_resnet34", freq_bins=64, embedding_dim=32)
    frames = np.random.default_rng(1).normal(size=(120, 64)).astype(np.float32)
    offset = np.linspace(-3, 3, 64, dtype=np.float32)          # a channel colouring
    normed = Embedder(model, None, 100, "repeat", 0, torch.device("cpu"), mean_norm=True)
    plain = Embedder(model, None, 100, "repeat", 0, torch.device("cpu"), mean_norm=False)
    np.testing.assert_allclose(normed.utterance(frames), normed.utterance(frames + offset),
                               atol=1e-4)
    np.testing.assert_allclose(normed.crops(frames, 3), normed.crops(frames + offset, 3), atol=1e-4)
    assert not np.allclose(plain.utterance(frames), plain.utterance(frames + offset), atol=1e-4)


def test_mean_norm_must_be_a_boolean_in_the_config():
    from metricvox.nnet.training.config import validate_config

    config = {"model": {"name": "thin_resnet34"}, "loss": {"name": "angleproto"},
              "input": {"crop_frames": 100, "mean_norm": "yes"},
              "sampler": {"classes_per_batch": 2, "per_class": 2}, "epochs": 1}
    with pytest.raises(InputError, match="'input.mean_norm' must be true or false"):
        validate_config(config)
    config["input"]["mean_norm"] = True
    assert validate_config(config)["input"]["mean_norm"] is True
