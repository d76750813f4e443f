"""Augmentation in training: wav crops augmented on the fly, the same for any number of
loader workers or training processes; speed classes; a short training with everything on."""
import numpy as np
import pytest
import soundfile
import torch

from augment_corpora import RATE, write_musan, write_rirs
from conftest import assert_one_line_error, run_tool
from metricvox.augment.augmenter import build_augmentation
from metricvox.augment.speed_classes import SpeedClassDataset
from metricvox.features.extraction import FeatureExtractor
from metricvox.nnet.crop_dataset import LabelledCropDataset
from metricvox.nnet.crop_sources import WavCrops
from metricvox.nnet.pk_sampler import PKBatchSampler
from metricvox.nnet.training.checkpoints import load_checkpoint
from metricvox.nnet.training.config import validate_config
from metricvox.nnet.training.distributed import ProcessGroup, ShareOfBatches
from metricvox.nnet.training.loop import train
from test_nnet_training import base_config, write_config

FBANK = {"type": "fbank", "options": {"num-mel-bins": 40, "dither": 0}}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    return write_musan(root / "musan"), write_rirs(root / "RIRS_NOISES")


@pytest.fixture(scope="module")
def wav_dir(tmp_path_factory):
    """4 speakers x 3 recordings of 0.6 s (a tone per speaker in noise); spk3-utt0 is silent."""
    data = tmp_path_factory.mktemp("wavs")
    rng = np.random.default_rng(0)
    time = np.arange(int(0.6 * RATE)) / RATE
    wav_lines, utt2spk = [], []
    for s in range(4):
        for u in range(3):
            utt = f"spk{s}-utt{u}"
            samples = 0.3 * np.sin(2 * np.pi * 150 * (s + 1) * time) + rng.normal(0, 0.02, len(time))
            if (s, u) == (3, 0):
                samples = np.zeros(len(time))
            soundfile.write(data / f"{utt}.wav", samples, RATE)
            wav_lines.append(f"{utt} {data / utt}.wav\n")
            utt2spk.append(f"{utt} spk{s}\n")
    (data / "wav.scp").write_text("".join(wav_lines))
    (data / "utt2spk").write_text("".join(utt2spk))
    return data


def everything(corpora, as_classes=False):
    musan, rirs = corpora
    speed = {"as_classes": True} if as_classes else {"probability": 0.5}
    return {"musan": str(musan), "rirs": str(rirs), "reverb": {"probability": 0.5},
            "noise": {"probability": 0.5}, "music": {"probability": 0.5},
            "babble": {"probability": 0.5}, "speed": speed, "specaugment": {"probability": 0.5}}


def augmented_dataset(wav_dir, augment, crop_frames=30):
    block = validate_config(base_config(input={"source": "wav", "crop_frames": crop_frames,
                                               "features": FBANK}, augment=augment))["augment"]
    extractor = FeatureExtractor.from_settings("fbank", overrides={"num-mel-bins": 40, "dither": 0.0})
    augmentation = build_augmentation(block, RATE)
    crops = WavCrops(wav_dir / "wav.scp", extractor, crop_frames, augmentation=augmentation)
    return LabelledCropDataset(crops, wav_dir / "utt2spk"), augmentation


def test_augmentation_is_the_same_for_any_number_of_workers_and_processes(wav_dir, corpora, monkeypatch):
    dataset, _ = augmented_dataset(wav_dir, everything(corpora))
    plain, _ = augmented_dataset(wav_dir, {})

    def epoch(workers, sampler):
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=workers)
        return [x.clone() for x, _ in loader]

    sampler = PKBatchSampler(dataset.labels, classes_per_batch=2, per_class=2, seed=3)
    sampler.set_epoch(1)
    serial, parallel = epoch(0, sampler), epoch(2, sampler)
    assert len(serial) == 2
    for xs, xp in zip(serial, parallel):
        torch.testing.assert_close(xs, xp, rtol=0, atol=0)
        assert torch.isfinite(xs).all()   # spk3-utt0 is silent: noise at an SNR stays finite
    # Under DDP each of 2 ranks takes half of every global batch: its crops are those halves.
    for rank in (0, 1):
        monkeypatch.setenv("WORLD_SIZE", "2")
        monkeypatch.setenv("RANK", str(rank))
        share = ShareOfBatches(sampler, ProcessGroup())
        for whole, batch in zip(serial, epoch(0, share)):
            torch.testing.assert_close(batch, whole[2 * rank:2 * rank + 2], rtol=0, atol=0)
    # Augmentation changed some crops, and another epoch draws other augmentations.
    items = [item for batch in sampler for item in batch]
    changed = [not torch.equal(dataset[item][0], plain[item][0]) for item in items]
    assert sum(changed) >= len(items) // 2
    sampler.set_epoch(2)
    assert not torch.equal(epoch(0, sampler)[0], serial[0])


def test_a_room_response_longer_than_the_crop_is_fine(wav_dir, corpora):
    # The real response is 1 s long, the crop 0.305 s; every crop reverberated.
    musan, rirs = corpora
    dataset, _ = augmented_dataset(wav_dir, {"rirs": str(rirs), "reverb": {"probability": 1.0, "rooms": ["real"]}})
    for seed in range(3):
        crop, _ = dataset[(seed, seed)]
        assert crop.shape == (40, 30) and torch.isfinite(crop).all()


def test_speed_classes_are_each_speaker_at_each_speed(wav_dir, corpora):
    dataset, augmentation = augmented_dataset(wav_dir, {"speed": {"as_classes": True}})
    speeds = SpeedClassDataset(dataset, augmentation.speed_classes)
    assert len(speeds) == 36 and speeds.classes[:5] == ["spk0", "spk1", "spk2", "spk3", "sp0.9-spk0"]
    assert speeds.classes[-1] == "sp1.1-spk3"
    assert speeds.labels[12 + 4] == 4 + 1 and speeds.labels[24 + 11] == 8 + 3   # spk1 at 0.9, spk3 at 1.1
    # Item 12 + i is utterance i at 0.9: the tone of spk0 (150 Hz) lowered to 135 Hz.
    crop = WavCrops(wav_dir / "wav.scp", FeatureExtractor.from_settings(
        "spectrogram", overrides={"dither": 0.0, "frame-length": 100, "frame-shift": 10}), 20)
    speeds_of_spectra = SpeedClassDataset(LabelledCropDataset(crop, wav_dir / "utt2spk"), [0.9, 1.1])
    bin_hz = RATE / 2 / (speeds_of_spectra[(0, 0)][0].shape[0] - 1)
    for index, hz in ((0, 150), (12, 135), (24, 165)):
        spectrum = speeds_of_spectra[(index, 0)][0].numpy().mean(axis=1)
        assert np.argmax(spectrum) * bin_hz == pytest.approx(hz, abs=bin_hz)


def test_training_with_every_augmentation_on(tmp_path, wav_dir, corpora):
    config = base_config(input={"source": "wav", "crop_frames": 30, "features": FBANK},
                         sampler={"classes_per_batch": 3, "per_class": 2}, epochs=1,
                         batches_per_epoch=2, augment=everything(corpora, as_classes=True))
    figures = train(write_config(tmp_path / "exp.yaml", config), wav_dir, tmp_path / "exp", device="cpu")
    assert np.isfinite(figures["loss"]) and figures["batches"] == 2
    assert ("augmentation on the fly: reverb (p 0.5), noise (p 0.5), music (p 0.5), babble (p 0.5), "
            "speed (as classes), specaugment (p 0.5)") in (tmp_path / "exp" / "train.log").read_text()
    checkpoint = load_checkpoint(tmp_path / "exp" / "last.pt")
    assert len(checkpoint.classes) == 12 and checkpoint.config["augment"]["noise"]["snr"] == [0.0, 15.0]
    assert all(torch.isfinite(t).all() for t in checkpoint.model_state.values() if t.is_floating_point())


def test_waveform_augmentation_of_stored_features_is_refused_on_one_line(tmp_path, corpora):
    config = base_config(augment={"musan": str(corpora[0]), "noise": {"probability": 0.3}})
    path = write_config(tmp_path / "exp.yaml", config)
    proc = run_tool("metricvox-train", "--config", path, "--data", tmp_path, "--out", tmp_path / "exp",
                    check=False)
    assert_one_line_error(proc, f"{path}: config 'augment.noise' changes the audio",
                          "input.source: feats")
    assert not (tmp_path / "exp").exists()


def test_specaugment_masks_stored_features_and_leaves_crop_positions_as_they_were(tmp_path):
    import kaldiio

    from metricvox.nnet.crop_sources import FeatureCrops

    rng = np.random.default_rng(0)
    feats = {f"s{s}-u{u}": rng.uniform(1, 2, (80, 12)).astype(np.float32) for s in range(2) for u in range(2)}
    kaldiio.save_ark(str(tmp_path / "feats.ark"), feats, scp=str(tmp_path / "feats.scp"))
    block = validate_config(base_config(augment={"specaugment": {"probability": 1.0, "max_frames": 5,
                                                                 "max_bins": 3}}))["augment"]
    masked = FeatureCrops(tmp_path / "feats.scp", 40, augmentation=build_augmentation(block))
    plain = FeatureCrops(tmp_path / "feats.scp", 40)
    for seed in range(4):
        crop = masked.crop("s1-u0", np.random.default_rng(seed)).numpy()      # dims x frames
        reference = plain.crop("s1-u0", np.random.default_rng(seed)).numpy()
        zero = crop == 0
        assert 1 <= zero.all(axis=0).sum() <= 5 and 1 <= zero.all(axis=1).sum() <= 3   # one band each
        assert np.array_equal(zero, zero.all(axis=0)[None, :] | zero.all(axis=1)[:, None])
        assert np.array_equal(crop[~zero], reference[~zero])
