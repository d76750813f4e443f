"""The feature tools end to end, and their bad-input contract (one-line error, no output)."""
import kaldiio
import numpy as np
import pytest
import soundfile

from conftest import assert_one_line_error, run_tool
from features_signals import speech_like
from metricvox.features.extraction import FeatureExtractor, compute_feats_table

knf = pytest.importorskip("kaldi_native_fbank")


def _write_corpus(directory, rate=16000, count=3):
    lines = []
    for i in range(count):
        path = directory / f"utt{i}.wav"
        soundfile.write(path, speech_like(seconds=1.0 + 0.25 * i, rate=rate, seed=i), rate,
                        subtype="PCM_16")
        lines.append(f"utt{i} {path}\n")
    (directory / "wav.scp").write_text("".join(lines))
    return directory / "wav.scp"


@pytest.fixture
def corpus(tmp_path):
    return _write_corpus(tmp_path)


def _read(path):
    return dict(kaldiio.load_ark(str(path)))


def test_compute_feats_fbank_matches_kaldi_native_fbank(corpus, tmp_path):
    ark, scp = tmp_path / "fbank.ark", tmp_path / "fbank.scp"
    run_tool("metricvox-compute-feats", "--type", "fbank", "--dither=0", "--num-mel-bins", "40",
             "--snip-edges=false", f"scp:{corpus}", f"ark,scp:{ark},{scp}")
    features = dict(kaldiio.load_scp(str(scp)))
    assert sorted(features) == ["utt0", "utt1", "utt2"]
    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.frame_opts.snip_edges = False
    options.mel_opts.num_bins = 40
    for key, matrix in features.items():
        samples, rate = soundfile.read(tmp_path / f"{key}.wav", dtype="float32")
        computer = knf.OnlineFbank(options)
        computer.accept_waveform(rate, (samples * 32768).tolist())
        computer.input_finished()
        reference = np.array([computer.get_frame(i) for i in range(computer.num_frames_ready)])
        assert matrix.shape == reference.shape
        assert np.max(np.abs(matrix - reference)) <= 1e-3


def test_presets_config_and_types_give_the_papers_dimensions(corpus, tmp_path):
    # In-process (the same library calls the tool makes) to keep the test fast.
    conf = tmp_path / "mfcc.conf"
    conf.write_text("--num-ceps=20   # i-vector front end\n--dither=0\n")
    expected = {(None, "singer-logmel64", None): 64, (None, "siamese-logmel80", None): 80,
                (None, "multimetric-spectrogram161", None): 161, ("mfcc", None, conf): 20,
                ("logmel", None, None): 64}
    for (type_name, preset, config), dim in expected.items():
        out = tmp_path / "out.ark"
        extractor = FeatureExtractor.from_settings(type_name, preset, config)
        compute_feats_table(f"scp:{corpus}", f"ark:{out}", extractor)
        assert {m.shape[1] for m in _read(out).values()} == {dim}, (type_name, preset)


def test_also_writes_other_presets_from_the_same_decode(corpus, tmp_path):
    run_tool("metricvox-compute-feats", "--type", "mfcc", "--dither=0",
             "--also", f"siamese-logmel80=ark:{tmp_path / 'mel.ark'}",
             "--also", f"multimetric-spectrogram161=ark:{tmp_path / 'spec.ark'}",
             f"scp:{corpus}", f"ark:{tmp_path / 'mfcc.ark'}")
    for name, args in (("mfcc", ["--type", "mfcc", "--dither=0"]), ("mel", ["--preset", "siamese-logmel80"]),
                       ("spec", ["--preset", "multimetric-spectrogram161"])):
        run_tool("metricvox-compute-feats", *args, f"scp:{corpus}", f"ark:{tmp_path / name}-alone.ark")
        together, alone = _read(tmp_path / f"{name}.ark"), _read(tmp_path / f"{name}-alone.ark")
        assert sorted(together) == sorted(alone) == ["utt0", "utt1", "utt2"]
        for key in alone:
            np.testing.assert_array_equal(together[key], alone[key])
    # Another sample frequency cannot share the decode; nothing is written.
    proc = run_tool("metricvox-compute-feats", "--type", "mfcc",
                    "--also", f"urbansound-mfcc-stats=ark:{tmp_path / 'u.ark'}",
                    f"scp:{corpus}", f"ark:{tmp_path / 'm2.ark'}", check=False)
    assert_one_line_error(proc, "48000 Hz", "16000 Hz")
    assert not (tmp_path / "u.ark").exists() and not (tmp_path / "m2.ark").exists()
    proc = run_tool("metricvox-compute-feats", "--type", "mfcc", "--also", "nonsense=ark:x.ark", f"scp:{corpus}",
                    f"ark:{tmp_path / 'm3.ark'}", check=False)
    assert_one_line_error(proc, "--also", "PRESET=WSPECIFIER")


def test_mfcc_stats_preset_resamples_when_allowed(corpus, tmp_path):
    out = tmp_path / "stats.ark"
    proc = run_tool("metricvox-compute-feats", "--preset", "urbansound-mfcc-stats",
                    f"scp:{corpus}", f"ark:{out}", check=False)
    assert_one_line_error(proc, "16000 Hz, expected 48000 Hz", "--allow-resample")
    assert not out.exists()
    run_tool("metricvox-compute-feats", "--preset", "urbansound-mfcc-stats", "--allow-resample",
             f"scp:{corpus}", f"ark:{out}")
    features = _read(out)
    # 1.0 s at 48 kHz: 1 + (48000 - 1024) // 512 frames of 275 dimensions.
    assert features["utt0"].shape == (1 + (48000 - 1024) // 512, 275)


def test_segments_are_cut_before_the_features(corpus, tmp_path):
    segments = tmp_path / "segments"
    segments.write_text("utt0-a utt0 0.10 0.90\nutt1-b utt1 0.25 1.00\n")
    out = tmp_path / "seg.ark"
    extractor = FeatureExtractor.from_settings("fbank", overrides={"dither": 0.0})
    compute_feats_table(f"scp:{corpus}", f"ark:{out}", extractor, segments=str(segments))
    features = _read(out)
    whole, _ = soundfile.read(tmp_path / "utt1.wav", dtype="float32")
    expected = extractor("utt1-b", whole[4000:16000])
    np.testing.assert_array_equal(features["utt1-b"], expected)
    assert features["utt0-a"].shape[0] == 1 + (12800 - 400) // 160


def test_dither_is_seeded_per_utterance(corpus):
    waveform = speech_like(seconds=0.5, seed=9)
    runs = [FeatureExtractor.from_settings("fbank", seed=seed) for seed in (3, 3, 4)]
    a, b, c = (extractor("utt1", waveform) for extractor in runs)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # The dither depends on the utterance, not on the order utterances come in.
    assert not np.array_equal(runs[0]("utt2", waveform), a)
    np.testing.assert_array_equal(runs[1]("utt1", waveform), a)


def test_vad_select_deltas_cmvn_pipeline(corpus, tmp_path):
    mfcc = tmp_path / "mfcc.ark"
    run_tool("metricvox-compute-feats", "--type", "mfcc", "--dither=0", f"scp:{corpus}",
             f"ark:{mfcc}")
    run_tool("metricvox-compute-vad", "--vad-energy-threshold", "5.5", f"ark:{mfcc}",
             f"ark:{tmp_path / 'vad.ark'}")
    vad = _read(tmp_path / "vad.ark")
    run_tool("metricvox-select-voiced-frames", f"ark:{mfcc}", f"ark:{tmp_path / 'vad.ark'}",
             f"ark:{tmp_path / 'voiced.ark'}")
    voiced = _read(tmp_path / "voiced.ark")
    features = _read(mfcc)
    for key, matrix in features.items():
        assert vad[key].shape == (matrix.shape[0],)
        np.testing.assert_array_equal(voiced[key], matrix[vad[key] == 1.0])
    # Through stdin and stdout: deltas, then global CMVN over the set.
    proc = run_tool(f"metricvox-add-deltas ark:{mfcc} ark:- | "
                    f"metricvox-apply-cmvn --mode global --norm-vars - ark:-")
    import io
    normalized = dict(kaldiio.load_ark(io.BytesIO(proc.stdout)))
    stacked = np.concatenate([normalized[k] for k in sorted(normalized)])
    assert stacked.shape[1] == 39
    np.testing.assert_allclose(stacked.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(stacked.std(axis=0), 1.0, atol=1e-3)


# --- bad input: one line naming the culprit, non-zero exit, no output ---------------

def test_unknown_conf_option_names_file_and_line(corpus, tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("# front end\n--num-mel-bins=40\n--num-mel-bin=40\n")
    out = tmp_path / "out.ark"
    proc = run_tool("metricvox-compute-feats", "--type", "fbank", "--config", conf,
                    f"scp:{corpus}", f"ark:{out}", check=False)
    assert_one_line_error(proc, f"{conf}:3:", "--num-mel-bin")
    assert not out.exists()


def test_wrong_sample_rate_is_an_error(tmp_path):
    wav_scp = _write_corpus(tmp_path, rate=8000, count=2)
    out = tmp_path / "out.ark"
    proc = run_tool("metricvox-compute-feats", "--type", "mfcc", f"scp:{wav_scp}", f"ark:{out}",
                    check=False)
    assert_one_line_error(proc, f"{wav_scp}:1", "8000 Hz")
    assert not out.exists()
    run_tool("metricvox-compute-feats", "--type", "mfcc", "--sample-frequency", "8000",
             f"scp:{wav_scp}", f"ark:{out}")
    assert len(_read(out)) == 2


@pytest.mark.parametrize("problem", ["missing-audio", "missing-table", "short-audio",
                                     "corrupt-audio", "failing-pipe", "duplicate-key",
                                     "unsorted-keys"])
def test_bad_audio_input(corpus, tmp_path, problem):
    lines = corpus.read_text().splitlines()
    if problem == "missing-audio":
        lines[1] = f"utt1 {tmp_path / 'nowhere.wav'}"
        culprit = f"{corpus}:2"
    elif problem == "short-audio":
        soundfile.write(tmp_path / "tiny.wav", np.zeros(100, dtype=np.float32), 16000)
        lines[2] = f"utt2 {tmp_path / 'tiny.wav'}"
        culprit = "utt2"
    elif problem == "corrupt-audio":
        (tmp_path / "junk.wav").write_bytes(b"RIFF not really a wav file at all")
        lines[0] = f"utt0 {tmp_path / 'junk.wav'}"
        culprit = f"{corpus}:1"
    elif problem == "failing-pipe":
        lines[1] = "utt1 sh -c 'exit 3' |"
        culprit = f"{corpus}:2"
    elif problem == "duplicate-key":
        lines[2] = lines[1]
        culprit = f"{corpus}:3"
    elif problem == "unsorted-keys":
        lines[0], lines[1] = lines[1], lines[0]
        culprit = f"{corpus}:2"
    corpus.write_text("\n".join(lines) + "\n")
    if problem == "missing-table":
        corpus.unlink()
        culprit = "wav.scp"
    ark, scp = tmp_path / "out.ark", tmp_path / "out.scp"
    proc = run_tool("metricvox-compute-feats", "--type", "fbank", f"scp:{corpus}",
                    f"ark,scp:{ark},{scp}", check=False)
    assert_one_line_error(proc, culprit)
    assert not ark.exists() and not scp.exists()


def _nan_ark(tmp_path):
    good = np.random.default_rng(0).standard_normal((20, 5)).astype(np.float32)
    bad = good.copy()
    bad[7, 2] = np.nan
    path = tmp_path / "feats.ark"
    kaldiio.save_ark(str(path), {"spk1-a": good, "spk1-b": bad})
    return path


@pytest.mark.parametrize("tool,args", [
    ("metricvox-add-deltas", []),
    ("metricvox-apply-cmvn", ["--mode", "global"]),
    ("metricvox-apply-cmvn", ["--mode", "sliding"]),
    ("metricvox-compute-vad", []),
])
def test_nan_features_name_the_utterance(tmp_path, tool, args):
    feats = _nan_ark(tmp_path)
    out = tmp_path / "out.ark"
    proc = run_tool(tool, *args, f"ark:{feats}", f"ark:{out}", check=False)
    assert_one_line_error(proc, "spk1-b", "nan", str(feats))
    assert not out.exists()


def test_missing_feature_input(tmp_path):
    out = tmp_path / "out.ark"
    proc = run_tool("metricvox-add-deltas", f"ark:{tmp_path / 'absent.ark'}", f"ark:{out}",
                    check=False)
    assert_one_line_error(proc, "absent.ark")
    assert not out.exists()


def test_select_voiced_frames_length_mismatch_and_no_match(tmp_path):
    feats = tmp_path / "feats.ark"
    kaldiio.save_ark(str(feats), {"a": np.ones((10, 3), np.float32),
                                  "b": np.ones((8, 3), np.float32)})
    vad = tmp_path / "vad.ark"
    kaldiio.save_ark(str(vad), {"a": np.ones(10, np.float32), "b": np.ones(9, np.float32)})
    out = tmp_path / "out.ark"
    proc = run_tool("metricvox-select-voiced-frames", f"ark:{feats}", f"ark:{vad}", f"ark:{out}",
                    check=False)
    assert_one_line_error(proc, "utterance b", "9 VAD decisions for 8 feature frames")
    assert not out.exists()
    kaldiio.save_ark(str(vad), {"c": np.ones(10, np.float32)})
    proc = run_tool("metricvox-select-voiced-frames", f"ark:{feats}", f"ark:{vad}", f"ark:{out}",
                    check=False)
    assert_one_line_error(proc, "no utterance to write")
    assert "2 utterances have no VAD" in proc.stderr
    assert not out.exists()
