"""The VoxCeleb stand-in's noisy test condition (vox1_noisy): pairing, lengths, SNR, reruns."""
import shutil
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, assert_one_line_error, run_tool
from metricvox.synth import seeding, test_condition, voxceleb

TINY = voxceleb.Size(dev_speakers=1, test_speakers=3, vox2_speakers=1, videos=(2, 2), utterances=(2, 2),
                     seconds=(1.0, 1.5), trials_per_enrollment=1)
SEED = 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("noisy") / "c"
    voxceleb.write_corpus(out, TINY, SEED, test_condition="noisy")
    return out


def _test_files(vox1):
    """{speaker: relative paths} of the test speakers' files (those of veri_test.txt)."""
    speakers = {line.split()[1].split("/")[0] for line in (vox1 / "veri_test.txt").open()}
    files = {}
    for name in _wavs(vox1 / "wav"):
        if name.split("/")[0] in speakers:
            files.setdefault(name.split("/")[0], []).append(name)
    return files


def _wavs(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav"))


def _reverberated(clean, response):
    """The clean recording in the room, worked directly: a time-domain convolution with the
    unit-energy response, its largest sample (the direct path) on the recording's sample."""
    response = response / np.sqrt(np.sum(response ** 2))
    peak = int(np.argmax(np.abs(response)))
    return np.convolve(clean, response)[peak:peak + len(clean)]


def test_noisy_copy_pairs_with_the_test_files_at_an_snr_in_the_documented_range(corpus):
    clean_root, noisy_root = corpus / "vox1", corpus / "vox1_noisy"
    test_files = _test_files(clean_root)
    clean_test = sorted(name for names in test_files.values() for name in names)
    assert len(test_files) == 3 and _wavs(noisy_root / "wav") == clean_test
    for name in voxceleb.TEST_LISTS:
        assert (noisy_root / name).read_bytes() == (clean_root / name).read_bytes()
    measured = []
    for name in clean_test:
        clean, rate = sf.read(str(clean_root / "wav" / name), dtype="float64")
        noisy, noisy_rate = sf.read(str(noisy_root / "wav" / name), dtype="float64")
        assert noisy_rate == rate == 16000 and len(noisy) == len(clean)
        assert sf.info(str(noisy_root / "wav" / name)).subtype == "PCM_16"
        reference = _reverberated(clean, test_condition.room_response(SEED, name)[3])
        # noisy = gain * (reference + noise), the gain keeping the clean peak: the least
        # squares gain recovers it (the noise is independent of the speech).
        gain = np.dot(noisy, reference) / np.dot(reference, reference)
        residual = noisy / gain - reference
        snr = 10 * np.log10(np.mean(reference ** 2) / np.mean(residual ** 2))
        drawn = seeding.stream(SEED, test_condition.NAMESPACE, "snr", name).uniform(*test_condition.NOISY_SNR)
        assert abs(snr - drawn) < 0.3, (name, snr, drawn)
        assert test_condition.NOISY_SNR[0] - 0.3 <= snr <= test_condition.NOISY_SNR[1] + 0.3
        assert np.max(np.abs(noisy)) <= np.max(np.abs(clean)) + 1e-4  # the level kept, no clipping
        measured.append(snr)
    assert np.ptp(measured) > 2.0  # drawn per recording, not one SNR for all


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_noisy_copy_whatever_the_process_count(corpus, tmp_path):
    for name, seed, nj in (("again", SEED, 2), ("other", SEED + 1, 1)):
        voxceleb.write_noisy_copy(corpus / "vox1", tmp_path / name, _test_files(corpus / "vox1"), seed, nj)
    first = _tree_bytes(corpus / "vox1_noisy")
    assert first == _tree_bytes(tmp_path / "again") and first != _tree_bytes(tmp_path / "other")


def test_the_tool_refuses_a_condition_it_lacks(tmp_path):
    # (tests/test_synth_voxceleb.py makes its mini corpus with --test-condition noisy.)
    proc = run_tool("metricvox-synth-corpus", "--kind", "voxceleb", "--out", tmp_path / "d",
                    "--test-condition", "loud", check=False)
    assert_one_line_error(proc, "no test condition 'loud'", "noisy")
    proc = run_tool("metricvox-synth-corpus", "--kind", "musan", "--out", tmp_path / "e",
                    "--test-condition", "noisy", check=False)
    assert_one_line_error(proc, "'musan' has no test condition")
    assert not (tmp_path / "d").exists() and not (tmp_path / "e").exists()


def test_recipe_data_prep_makes_the_noisy_test_set_with_ids_of_its_own(corpus, tmp_path):
    script = REPO / "egs" / "voxceleb" / "local" / "make_voxceleb1.py"
    run_tool(sys.executable, script, "--condition", "noisy", corpus / "vox1_noisy", tmp_path / "data")
    noisy = tmp_path / "data" / "vox1_test_noisy"
    wav_scp = dict(line.split() for line in (noisy / "wav.scp").read_text().splitlines())
    expected = {f"{name[:-4].replace('/', '-')}-noisy": str((corpus / "vox1_noisy" / "wav" / name).resolve())
                for name in _wavs(corpus / "vox1_noisy" / "wav")}
    assert wav_scp == expected
    trials = [line.split() for line in (noisy / "trials").read_text().splitlines()]
    listed = [line.split() for line in (corpus / "vox1_noisy" / "veri_test.txt").read_text().splitlines()]
    assert trials == [[f"{e[:-4].replace('/', '-')}-noisy", f"{t[:-4].replace('/', '-')}-noisy",
                       "target" if label == "1" else "nontarget"] for label, e, t in listed]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["vox1_test_noisy"]
    # A list naming a recording the copy lacks: one line naming the list and its line.
    broken = tmp_path / "broken"
    shutil.copytree(corpus / "vox1_noisy", broken)
    missing = listed[2][2]
    (broken / "wav" / missing).unlink()
    proc = run_tool(sys.executable, script, "--condition", "noisy", broken, tmp_path / "data2", check=False)
    line = next(i for i, fields in enumerate(listed, 1) if missing in fields[1:])
    assert_one_line_error(proc, f"{broken.resolve() / 'veri_test.txt'}:{line}", f"{missing} is not in the corpus")
    assert not (tmp_path / "data2").exists()
