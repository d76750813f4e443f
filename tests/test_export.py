"""metricvox-export: the exported graph (onnxruntime, torch.jit.load) against metricvox-extract.

The reference is metricvox-extract's utterance mode on a wav table: the numpy/scipy
feature library and the model run eagerly. The exported graph computes the same
features with its own tensor ops, so equal embeddings check the front end as well
as the trace. Every model family of the registry is exported small, and together
they cover every exportable feature type and the options that change the graph
(snip-edges, energy, power, windows, the repeat/pad policy, mean normalisation).
"""
import json

import numpy as np
import onnx
import onnxruntime
import pytest
import soundfile
import torch

from conftest import assert_one_line_error, input_error_text, run_tool
from export_checkpoints import save_untrained_checkpoint
from metricvox.data.audio import iter_audio
from metricvox.export.exporting import export_checkpoint
from metricvox.export.front_end import EXPORTABLE_TYPES
from metricvox.export.loader import load_exported
from metricvox.io import MatrixWriter, read_matrix_dict
from metricvox.nnet.extraction import Embedder, extract_embeddings
from metricvox.nnet.models import MODELS

RATE = 16000
# Ten lengths; the first two are shorter than the 40-frame training crop.
SECONDS = (0.12, 0.31, 0.47, 0.66, 0.9, 1.15, 1.42, 1.71, 2.05, 2.4)
TINY_VGG = {"embedding_dim": 12, "hidden_dim": 24, "attention_dim": 8, "channels": [4, 6, 8]}
FAMILIES = {
    "thin_resnet34": ({"freq_bins": 40, "embedding_dim": 16},
                      {"type": "fbank", "options": {"num-mel-bins": 40, "dither": 0}},
                      {"short": "repeat", "mean_norm": False}),
    "vgg_encoder": (dict(TINY_VGG, freq_bins=64), {"preset": "singer-logmel64"},
                    {"short": "pad", "mean_norm": True}),
    "siamese_pair": (dict(TINY_VGG, freq_bins=161, head_sizes=[8, 8, 8, 8]),
                     {"preset": "multimetric-spectrogram161"}, {"short": "repeat", "mean_norm": True}),
    "resnet50_se": ({"freq_bins": 20, "embedding_dim": 10, "base_width": 8, "se_reduction": 4},
                    {"preset": "ivector-mfcc20",
                     "options": {"raw-energy": "false", "energy-floor": 1.0}},
                    {"short": "pad", "mean_norm": False}),
    "mobilenet_v1": ({"freq_bins": 25, "embedding_dim": 8, "width": 0.25},
                     {"type": "fbank", "options": {
                         "num-mel-bins": 24, "use-energy": "true", "use-power": "false",
                         "window-type": "blackman", "snip-edges": "false", "dither": 0}},
                     {"short": "repeat", "mean_norm": True}),
}


def write_utterances(directory):
    """Ten voiced-like utterances (harmonics with vibrato, noise, an onset) as 16-bit wavs."""
    rng = np.random.default_rng(7)
    lines = []
    for i, seconds in enumerate(SECONDS):
        t = np.arange(int(seconds * RATE)) / RATE
        f0 = rng.uniform(90, 260) * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
        signal = 0.2 * voiced * np.minimum(1.0, t / 0.05) + 0.01 * rng.standard_normal(t.size)
        path = directory / f"utt{i}.wav"
        soundfile.write(path, signal.astype(np.float32), RATE, subtype="PCM_16")
        lines.append(f"utt{i} {path}\n")
    (directory / "wav.scp").write_text("".join(lines))
    return f"scp:{directory}/wav.scp"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The utterances, one checkpoint per family and metricvox-extract's embeddings of each."""
    root = tmp_path_factory.mktemp("export")
    wav_scp = write_utterances(root)
    references = {}
    for name, (model_config, features, source) in FAMILIES.items():
        checkpoint = save_untrained_checkpoint(root / f"{name}.pt", name, model_config, features,
                                               **source)
        embedder = Embedder.from_checkpoint(checkpoint, torch.device("cpu"))
        with MatrixWriter(f"ark:{root}/{name}.ark") as writer:
            extract_embeddings(embedder, wav_scp, writer)
        references[name] = read_matrix_dict(f"ark:{root}/{name}.ark")
    waveforms = {key: samples for key, samples, _ in iter_audio(wav_scp)}
    return root, wav_scp, references, waveforms


def assert_embeddings_equal(got, reference):
    assert sorted(got) == sorted(reference) and len(got) == 10
    for key, vector in reference.items():
        assert got[key].shape == vector.shape
        # 1e-4 absolute, or relative to the embedding's scale when that is above 1.
        tolerance = 1e-4 * max(1.0, float(np.abs(vector).max()))
        assert np.abs(got[key] - vector).max() <= tolerance, (key, got[key], vector)


def test_families_cover_every_exportable_feature_type():
    from metricvox.nnet.training.data import feature_settings
    covered = {feature_settings({"input": {"features": features}})["type"]
               for _, features, _ in FAMILIES.values()}
    assert covered == set(EXPORTABLE_TYPES) and set(FAMILIES) == set(MODELS)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_onnxruntime_and_torchscript_give_metricvox_extracts_embeddings(setup, family):
    root, _, references, waveforms = setup
    onnx_path, script_path = root / f"{family}.onnx", root / f"{family}.ts"
    export_checkpoint(root / f"{family}.pt", "onnx", onnx_path)
    export_checkpoint(root / f"{family}.pt", "torchscript", script_path)

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    from_onnx = {key: session.run(None, {"waveform": samples})[0]
                 for key, samples in waveforms.items()}
    assert_embeddings_equal(from_onnx, references[family])

    script = torch.jit.load(str(script_path))
    with torch.inference_mode():
        # (1, samples) here: the graph takes either shape.
        from_script = {key: script(torch.from_numpy(samples)[None]).numpy()
                       for key, samples in waveforms.items()}
    assert_embeddings_equal(from_script, references[family])


def test_settings_are_stored_with_the_graph(setup):
    root = setup[0]
    metadata = export_checkpoint(root / "resnet50_se.pt", "onnx", root / "meta.onnx")
    props = {p.key: p.value for p in onnx.load(str(root / "meta.onnx")).metadata_props}
    stored = json.loads(props["metricvox"])
    assert stored == metadata
    assert stored["features"]["type"] == "mfcc" and stored["features"]["options"]["num_ceps"] == 20
    assert stored["features"]["options"]["dither"] == 0.0 and "dither" in stored["dither"]
    assert (stored["short"], stored["mean_norm"], stored["crop_frames"]) == ("pad", False, 40)
    assert props["sample_rate"] == "16000" and props["model_name"] == "resnet50_se"
    extra = {"metricvox.json": ""}
    torch.jit.load(str(root / "mobilenet_v1.ts"), _extra_files=extra)
    assert json.loads(extra["metricvox.json"])["features"]["options"]["window_type"] == "blackman"


def test_extract_tool_takes_an_export_and_names_its_limits(setup):
    root, wav_scp, references, _ = setup
    run_tool("metricvox-export", "--model", root / "vgg_encoder.pt", "--format", "onnx",
             root / "tool.model")   # no extension: the file's content says what it is
    for path in (root / "tool.model", root / "siamese_pair.ts"):
        proc = run_tool(f"metricvox-extract --model {path} {wav_scp} ark:{root}/out.ark")
        assert "exported" in proc.stderr
        assert_embeddings_equal(read_matrix_dict(f"ark:{root}/out.ark"),
                                references["vgg_encoder" if path.suffix == ".model" else "siamese_pair"])
    proc = run_tool("metricvox-extract", "--model", root / "tool.model", "--num-crops", "3",
                    wav_scp, f"ark:{root}/crops.ark", check=False)
    assert_one_line_error(proc, "tool.model", "only utterance mode")
    assert not (root / "crops.ark").exists()


def test_a_foreign_onnx_file_is_a_one_line_error(setup, tmp_path):
    foreign = tmp_path / "other.onnx"
    torch.onnx.export(torch.nn.Linear(4, 2), (torch.zeros(1, 4),), str(foreign), dynamo=False)
    proc = run_tool("metricvox-extract", "--model", foreign, setup[1], f"ark:{tmp_path}/o.ark",
                    check=False)
    assert_one_line_error(proc, "other.onnx", "no metricvox metadata")
    assert not (tmp_path / "o.ark").exists()


def test_missing_and_corrupt_model_files_are_one_line_errors(setup, tmp_path):
    for export_format in ("onnx", "torchscript"):
        export_checkpoint(setup[0] / "vgg_encoder.pt", export_format, tmp_path / export_format)
    corrupt = tmp_path / "cut.onnx"
    corrupt.write_bytes((tmp_path / "onnx").read_bytes()[:5000])
    cut_script = tmp_path / "cut.ts"
    cut_script.write_bytes((tmp_path / "torchscript").read_bytes()[:-3000])
    for path, fragment in [(tmp_path / "missing.onnx", "no such model file"),
                           (corrupt, "not a readable checkpoint"),
                           (cut_script, "not a readable checkpoint")]:
        message = input_error_text(load_exported, path)
        assert path.name in message and fragment in message and "\n" not in message
    message = input_error_text(export_checkpoint, corrupt, "onnx", tmp_path / "x.onnx")
    assert "cut.onnx" in message and "\n" not in message
    assert not (tmp_path / "x.onnx").exists()


def test_features_without_a_tensor_op_front_end_are_refused(tmp_path):
    checkpoint = save_untrained_checkpoint(
        tmp_path / "stats.pt", "mobilenet_v1", {"embedding_dim": 4, "width": 0.25},
        {"preset": "urbansound-mfcc-stats"})
    message = input_error_text(export_checkpoint, checkpoint, "onnx", tmp_path / "out")
    assert "stats.pt" in message and "mfcc-stats features" in message
    assert not (tmp_path / "out").exists()


class RoundedGradient(torch.autograd.Function):
    """Identity forward, a made-up backward: a Python op no graph format holds."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad.round()


class DataDependent(torch.nn.Module):
    """Scales its output by a Python number taken from the input's values, which a trace freezes."""

    def __init__(self, freq_bins=40, embedding_dim=4):
        super().__init__()
        self.freq_bins = freq_bins
        self.linear = torch.nn.Linear(freq_bins, embedding_dim)

    def forward(self, x):
        out = self.linear(x.mean(dim=2))
        return out * float(x.mean())


class PythonFunctionModel(DataDependent):
    def forward(self, x):
        return self.linear(RoundedGradient.apply(x).mean(dim=2))


class MatrixExponential(DataDependent):
    """An op TorchScript holds and ONNX has no equivalent of."""

    def forward(self, x):
        return self.linear(x.mean(dim=2)) * torch.linalg.matrix_exp(x[:, :4, :4] / 100).sum()


@pytest.mark.parametrize("model_class,export_format,fragment", [
    (PythonFunctionModel, "onnx", "Python autograd Function RoundedGradient"),
    (PythonFunctionModel, "torchscript", "Python autograd Function RoundedGradient"),
    (DataDependent, "onnx", "test_export.py"),
    (DataDependent, "torchscript", "test_export.py"),
    (MatrixExponential, "onnx", "op aten::linalg_matrix_exp has no ONNX equivalent")])
def test_unexportable_ops_are_named_and_nothing_is_written(tmp_path, monkeypatch, model_class,
                                                             export_format, fragment):
    monkeypatch.setitem(MODELS, "odd", model_class)
    features = {"type": "fbank", "options": {"num-mel-bins": 40, "dither": 0}}
    checkpoint = save_untrained_checkpoint(tmp_path / "odd.pt", "odd", {}, features)
    message = input_error_text(export_checkpoint, checkpoint, export_format, tmp_path / "out")
    assert fragment in message and "\n" not in message
    assert list(tmp_path.iterdir()) == [checkpoint]
