"""The Python API (metricvox.api), through its public names only, against metricvox-extract
and metricvox-score run on the same files, and README's example run as written."""
import re
import warnings

import numpy as np
import pytest
import scipy.signal
import soundfile
import torch

from conftest import REPO, run_tool
from metricvox.api import InputError, LowSampleRateWarning, Verification, load_model
from metricvox.data.trials import read_scores
from metricvox.io import read_matrix_dict

RATE = 16000


def _save_checkpoint(path, model_name, model_config, mel_bins=None):
    """An untrained network saved as metricvox-train saves one (its weights do not matter:
    the API and the tools are compared on the same file)."""
    from metricvox.nnet.models import build_model
    from metricvox.nnet.training.checkpoints import Checkpoint, rng_states, save_checkpoint
    from metricvox.nnet.training.config import validate_config
    from metricvox.nnet.training.data import feature_settings
    features = {"type": "fbank", "options": {"num-mel-bins": mel_bins, "dither": 0}} if mel_bins else {}
    config = validate_config({
        "model": {"name": model_name, **model_config}, "loss": {"name": "angleproto"}, "epochs": 1,
        "sampler": {"classes_per_batch": 2, "per_class": 2},
        "input": {"source": "wav" if mel_bins else "feats", "crop_frames": 40, "features": features}})
    torch.manual_seed(0)
    model = build_model(model_name, **model_config)
    save_checkpoint(Checkpoint(
        model_name=model_name, model_config=model_config, model_state=model.state_dict(),
        loss_config=config["loss"], loss_state={}, optimiser_state={}, schedule_state={},
        scaler_state={}, epoch=1, rng=rng_states(), config=config, seed=0,
        features=feature_settings(config), crop_frames=40, classes=[], history=[]), path)


def _voice(seconds, pitch, seed, rate=RATE):
    """A buzz with harmonics and a little noise: enough structure for the front end."""
    t = np.arange(int(seconds * rate)) / rate
    wave = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 12))
    wave += 0.1 * np.random.default_rng(seed).normal(size=t.size)
    return (0.2 * wave / np.abs(wave).max()).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("api")
    _save_checkpoint(d / "xvector.pt", "thin_resnet34", {"freq_bins": 40, "embedding_dim": 16}, 40)
    _save_checkpoint(d / "siamese.pt", "siamese_pair", {"freq_bins": 16, "embedding_dim": 16,
                                                        "hidden_dim": 32, "attention_dim": 16}, 16)
    from metricvox.backend.plda_backend import PldaBackend
    rng = np.random.default_rng(1)
    PldaBackend.fit([rng.normal(size=16) + rng.normal(size=(5, 16)) for _ in range(8)]).save(d / "plda.npz")
    soundfile.write(d / "a.wav", _voice(1.5, 120, 1), RATE)
    soundfile.write(d / "b.wav", _voice(1.2, 190, 2), RATE)
    (d / "wav.scp").write_text(f"a {d}/a.wav\nb {d}/b.wav\n")
    (d / "trials").write_text("a b target\n")
    return d


# metricvox-score's options for each way the API is loaded in the tests below
TOOL_BACKENDS = {
    "cosine": ("xvector.pt", {}, ""),
    "euclidean": ("xvector.pt", {"backend": "euclidean"}, "--backend euclidean"),
    "plda": ("xvector.pt", {"plda": "plda.npz"}, "--backend plda --model {d}/plda.npz"),
    "siamese": ("siamese.pt", {}, "--backend siamese --model {d}/siamese.pt"),
}


@pytest.fixture(scope="module")
def tools(files):
    """The references: metricvox-extract's embeddings of a.wav and b.wav by each model, and
    metricvox-score's score of the trial 'a b' by each back end."""
    d = files
    commands = [f"metricvox-extract --quiet --model {d}/{m} scp:{d}/wav.scp ark:{d}/{m}.ark"
                for m in ("xvector.pt", "siamese.pt")]
    commands += [f"metricvox-score --quiet --trials {d}/trials {options.format(d=d)} "
                 f"ark:{d}/{checkpoint}.ark {d}/{name}.scores"
                 for name, (checkpoint, _, options) in TOOL_BACKENDS.items()]
    run_tool(" && ".join(commands))
    return (read_matrix_dict(f"ark:{d}/xvector.pt.ark"),
            {name: read_scores(d / f"{name}.scores")[("a", "b")] for name in TOOL_BACKENDS})


def test_embeddings_are_metricvox_extracts(files, tools):
    reference = tools[0]
    model = load_model(files / "xvector.pt")
    assert model.sample_rate == RATE
    np.testing.assert_allclose(model.embed(files / "a.wav"), reference["a"], rtol=1e-5, atol=1e-6)
    samples, rate = soundfile.read(files / "b.wav", dtype="float32")
    np.testing.assert_allclose(model.embed(samples, rate), reference["b"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", TOOL_BACKENDS)
def test_scores_are_metricvox_scores(files, tools, name):
    checkpoint, backend, _ = TOOL_BACKENDS[name]
    model = load_model(files / checkpoint, **{k: files / v if k == "plda" else v
                                              for k, v in backend.items()})
    expected = tools[1][name]
    a, b = model.embed(files / "a.wav"), model.embed(files / "b.wav")
    # score files hold 6 significant digits
    assert model.score(a, b) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    verdict = model.verify(files / "a.wav", files / "b.wav", threshold=expected - 1e-3)
    assert verdict == Verification(True, pytest.approx(expected, rel=1e-5, abs=1e-6), expected - 1e-3)
    assert not model.verify(files / "a.wav", files / "b.wav", threshold=expected + 1e-3).accepted


def test_stereo_is_the_mean_of_its_channels_and_8khz_is_upsampled_with_a_warning(files):
    model = load_model(files / "xvector.pt")
    left, right = _voice(1.0, 150, 3), _voice(1.0, 230, 4)
    soundfile.write(files / "stereo.wav", np.stack([left, right], axis=1), RATE)
    np.testing.assert_allclose(model.embed(files / "stereo.wav"), model.embed((left + right) / 2, RATE),
                               rtol=1e-4, atol=1e-5)

    narrow = _voice(1.5, 120, 5, rate=8000)
    with pytest.warns(LowSampleRateWarning, match="8000 Hz audio upsampled to the model's 16000 Hz"):
        upsampled = model.embed(narrow, 8000)
    # scipy's own polyphase resampler (another filter) gives nearly the same embedding
    reference = model.embed(scipy.signal.resample_poly(narrow, 2, 1).astype(np.float32), RATE)
    cosine = upsampled @ reference / np.linalg.norm(upsampled) / np.linalg.norm(reference)
    assert cosine > 0.99
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # downsampling loses nothing the model uses: no warning
        model.embed(_voice(1.0, 120, 6, rate=48000), 48000)


@pytest.mark.parametrize("audio, rate, message", [
    (np.array([0.1, np.nan] * 8000, dtype=np.float32), RATE, "NaN or infinite samples"),
    (np.zeros(0, dtype=np.float32), RATE, "the waveform array is empty"),
    (np.zeros((2, 16000), dtype=np.float32), RATE, "expected a 1-D mono waveform, got an array of shape (2, 16000)"),
    (np.zeros(16000, dtype=np.int16), RATE, "expected float samples in [-1, 1], got an array of int16"),
    (np.zeros(16000, dtype=np.float32), None, "a waveform array needs its sample_rate"),
    (np.zeros(16000, dtype=np.float32), 0, "sample_rate must be a positive whole number"),
    (np.zeros(100, dtype=np.float32), RATE, "100 samples give no frame"),
])
def test_bad_arrays_are_one_line_errors(files, audio, rate, message):
    with pytest.raises(InputError) as error:
        load_model(files / "xvector.pt").embed(audio, rate)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_files_are_one_line_errors(files, tmp_path):
    model = load_model(files / "xvector.pt")
    (tmp_path / "noise.wav").write_bytes(b"RIFF not really")
    for audio, message in [(tmp_path / "missing.wav", "missing.wav' does not exist"),
                           (tmp_path / "noise.wav", "cannot decode audio in")]:
        with pytest.raises(InputError, match=re.escape(message)):
            model.embed(audio)
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "script.pt")
    _save_checkpoint(tmp_path / "feats.pt", "thin_resnet34", {"freq_bins": 40, "embedding_dim": 16})
    for path, message in [(tmp_path / "feats.pt", "the model was trained on stored features and its "
                                                  "checkpoint holds no feature settings"),
                          (tmp_path / "script.pt", "a TorchScript model not written by "
                                                   "metricvox-export"),
                          (tmp_path / "none.pt", "no such model file"),
                          (files / "plda.npz", "not a model file metricvox can load")]:
        with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
            load_model(path)
    with pytest.raises(InputError, match="backend 'plda' and a plda file go together"):
        load_model(files / "xvector.pt", backend="plda")
    with pytest.raises(InputError, match="needs a siamese_pair model"):
        load_model(files / "xvector.pt", backend="siamese")


def test_readme_example_runs_as_written(files, tools, tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text()
    example = re.search(r"<!-- api-example -->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(example.strip().splitlines()) == 5
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp/last.pt").write_bytes((files / "xvector.pt").read_bytes())
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes((files / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    printed = []
    exec(example, {"print": printed.append})
    expected = tools[1]["cosine"]
    assert printed[-1] == Verification(expected >= 0.5, pytest.approx(expected, rel=1e-5, abs=1e-6), 0.5)


@pytest.mark.parametrize("export_format", ["onnx", "torchscript"])
def test_an_exported_model_embeds_as_its_checkpoint(files, tools, tmp_path, export_format):
    out = tmp_path / f"model.{export_format}"
    run_tool("metricvox-export", "--quiet", "--model", files / "xvector.pt", "--format",
             export_format, out)
    model = load_model(out)
    assert model.sample_rate == RATE
    np.testing.assert_allclose(model.embed(files / "a.wav"), tools[0]["a"], rtol=1e-4, atol=1e-4)
    a, b = model.embed(files / "a.wav"), model.embed(files / "b.wav")
    assert model.score(a, b) == pytest.approx(tools[1]["cosine"], abs=1e-4)
    with pytest.raises(InputError, match="needs a siamese_pair model"):
        load_model(out, backend="siamese")
