"""The MUSAN and RIRS_NOISES stand-ins: the real layouts and list formats, the audio, the
rooms' reverberation (measured here by Schroeder backward integration), determinism, bad
input, and that the test-condition noises and rooms are none of theirs."""
import filecmp
import re
import zlib

import numpy as np
import pytest
import soundfile as sf

from conftest import assert_one_line_error, input_error_text, run_tool
from metricvox.synth import make_corpus, musan, rirs_noises, test_condition

TOOL = "metricvox-synth-corpus"
SEED = 4
# The real corpora's folders (MUSAN: openslr.org/17; RIRS_NOISES: openslr.org/28).
MUSAN_FOLDERS = {"noise": {"free-sound", "sound-bible"},
                 "music": {"fma", "fma-western-art", "hd-classical", "jamendo", "rfm"},
                 "speech": {"librivox", "us-gov"}}
ROOM_SIZES = {"smallroom": (1, 10), "mediumroom": (10, 30), "largeroom": (30, 50)}   # m, length and width


def build(kind, out, *options):
    run_tool(TOOL, "--kind", kind, "--seed", SEED, "--out", out, *options)
    return out


@pytest.fixture(scope="module")
def musan_dir(tmp_path_factory):
    return build("musan", tmp_path_factory.mktemp("aug") / "musan")


@pytest.fixture(scope="module")
def rirs_dir(tmp_path_factory):
    return build("rirs", tmp_path_factory.mktemp("aug") / "RIRS_NOISES", "--rooms-per-category", "3")


def read(path):
    audio, rate = sf.read(str(path))
    info = sf.info(str(path))
    assert (rate, info.channels, info.subtype) == (16000, 1, "PCM_16"), path
    return audio


def same_tree(a, b):
    """Both trees hold the same files with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


# ---- MUSAN -------------------------------------------------------------------------

def test_musan_folders_and_file_names_are_musans(musan_dir):
    for category, folders in MUSAN_FOLDERS.items():
        assert {p.name for p in (musan_dir / category).iterdir()} == folders
        for folder in folders:
            wavs = sorted(p.name for p in (musan_dir / category / folder).glob("*.wav"))
            assert wavs == [f"{category}-{folder}-{n:04d}.wav" for n in range(2)]   # mini: 2 per folder
            others = {p.name for p in (musan_dir / category / folder).iterdir()} - set(wavs)
            assert others == ({"ANNOTATIONS"} if (category, folder) != ("speech", "us-gov") else set())


def annotation_lines(musan_dir, category, folder):
    text = (musan_dir / category / folder / "ANNOTATIONS").read_text()
    assert text.endswith("\n")
    return text.splitlines()


def test_musan_annotations_have_the_real_columns_and_list_every_file(musan_dir):
    for category, folders in MUSAN_FOLDERS.items():
        for folder in folders - {"us-gov"}:
            lines = annotation_lines(musan_dir, category, folder)
            ids = sorted(p.stem for p in (musan_dir / category / folder).glob("*.wav"))
            assert [line.split(" ")[0] for line in lines] == ids     # no header line, every file
            for line in lines:
                if category == "noise":
                    assert re.fullmatch(r"noise-[a-z-]+-\d{4}", line), line
                elif category == "music":
                    assert re.fullmatch(r"music-[a-z-]+-\d{4} [a-z]+(,[a-z]+)* [YN] [A-Za-z]+(_[A-Za-z]+)*",
                                        line), line
                    utt, genres, vocals, musician = line.split()[:4]   # as Kaldi's make_musan.py
                    assert vocals in ("Y", "N") and "," not in musician
                else:
                    assert re.fullmatch(r"speech-librivox-\d{4} [mf] [a-z]+", line), line


def test_musan_audio_is_16k_mono_non_silent_and_sized(musan_dir):
    for path in musan_dir.rglob("*.wav"):
        audio = read(path)
        assert 2.0 - 0.05 <= len(audio) / 16000 <= 3.0 + 0.05, path      # mini: 2-3 s
        assert np.all(np.isfinite(audio))
        assert np.sqrt(np.mean(audio ** 2)) > 0.01 and np.max(np.abs(audio)) > 0.2, path


def test_musan_is_byte_identical_on_a_rerun_with_other_nj(musan_dir, tmp_path):
    assert same_tree(musan_dir, build("musan", tmp_path / "again", "--nj", "2"))


def test_musan_files_per_folder_and_its_bad_values(tmp_path):
    out = build("musan", tmp_path / "one", "--files-per-folder", "1")
    assert sorted(p.name for p in (out / "noise" / "free-sound").iterdir()) == [
        "ANNOTATIONS", "noise-free-sound-0000.wav"]
    zero = run_tool(TOOL, "--kind", "musan", "--files-per-folder", "0", "--out", tmp_path / "zero", check=False)
    assert_one_line_error(zero, "--files-per-folder", "0")
    wrong_kind = run_tool(TOOL, "--kind", "musan", "--rirs-per-room", "2", "--out", tmp_path / "w", check=False)
    assert_one_line_error(wrong_kind, "rirs_per_room", "files_per_folder")
    assert not (tmp_path / "zero").exists() and not (tmp_path / "w").exists()


@pytest.mark.parametrize("overrides", [{"files_per_folder": 0}, {"files_per_folder": 2.5},
                                       {"rirs_per_room": 2}])
def test_bad_size_settings_in_the_library(tmp_path, overrides):
    message = input_error_text(make_corpus, "musan", "mini", 0, tmp_path / "c", overrides=overrides)
    assert next(iter(overrides)) in message
    assert not (tmp_path / "c").exists()


def test_unwritable_output_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for kind in ("musan", "rirs"):
        proc = run_tool(TOOL, "--kind", kind, "--out", blocker / "corpus", check=False)
        assert_one_line_error(proc, str(blocker / "corpus"))
    assert blocker.read_text() == "x"


# ---- RIRS_NOISES ---------------------------------------------------------------------

def list_lines(path):
    text = path.read_text()
    assert text.endswith("\n")
    return text.splitlines()


def listed_path(rirs_dir, path):
    """A list's path (relative to the directory holding RIRS_NOISES, as in the real lists)."""
    assert path.startswith("RIRS_NOISES/")
    return rirs_dir.parent / path


def test_simulated_rirs_layout_and_rir_lists_are_kaldis(rirs_dir):
    simulated = rirs_dir / "simulated_rirs"
    assert {p.name for p in simulated.iterdir()} == set(ROOM_SIZES)
    for category in ROOM_SIZES:
        listed = []
        for line in list_lines(simulated / category / "rir_list"):
            match = re.fullmatch(rf"--rir-id ({category}-(Room\d{{3}})-\d{{5}}) --room-id ({category}-Room\d{{3}}) "
                                 rf"(RIRS_NOISES/simulated_rirs/{category}/(Room\d{{3}})/(Room\d{{3}}-\d{{5}})\.wav)",
                                 line)
            assert match, line
            rir_id, room, room_id, path, folder, stem = match.groups()
            assert room_id == f"{category}-{room}" and folder == room and rir_id == f"{category}-{stem}"
            assert listed_path(rirs_dir, path).is_file()
            listed.append(path)
        on_disk = sorted(f"RIRS_NOISES/{p.relative_to(rirs_dir).as_posix()}"
                         for p in (simulated / category).rglob("*.wav"))
        assert sorted(listed) == on_disk and len(set(listed)) == len(listed)
        rooms = sorted(p.name for p in (simulated / category).iterdir() if p.is_dir())
        assert rooms == ["Room001", "Room002", "Room003"]
        assert sorted(p.name for p in (simulated / category / "Room002").iterdir()) == [
            "Room002-00001.wav", "Room002-00002.wav"]


def test_real_rirs_and_isotropic_noises_lists_are_kaldis(rirs_dir):
    real = rirs_dir / "real_rirs_isotropic_noises"
    rooms = set()
    for number, line in enumerate(list_lines(real / "rir_list"), 1):
        match = re.fullmatch(r"--rir-id (\d{5}) --room-id (RVB2014_(\w+?room\d+)) "
                             r"(RIRS_NOISES/real_rirs_isotropic_noises/RVB2014_type1_rir_(\w+?room\d+)_(near|far)_angl[ab]\.wav)",
                             line)
        assert match and int(match[1]) == number, line
        assert match[3] == match[5] and listed_path(rirs_dir, match[4]).is_file()
        rooms.add(match[2])
    assert rooms == {"RVB2014_smallroom1", "RVB2014_mediumroom1", "RVB2014_largeroom1"}
    linked = set()
    for number, line in enumerate(list_lines(real / "noise_list"), 1):
        match = re.fullmatch(r"--noise-id (\d{5}) --noise-type isotropic --room-linkage (RVB2014_(\w+?room\d+)) "
                             r"(RIRS_NOISES/real_rirs_isotropic_noises/RVB2014_type1_noise_(\w+?room\d+)_\d+\.wav)",
                             line)
        assert match and int(match[1]) == number, line
        assert match[3] == match[5] and listed_path(rirs_dir, match[4]).is_file()
        noise = read(listed_path(rirs_dir, match[4]))
        assert np.sqrt(np.mean(noise ** 2)) > 0.01
        linked.add(match[2])
    assert linked == rooms                       # every noise belongs to a room with responses
    files = {p.name for p in real.iterdir()}
    assert {"rir_list", "noise_list"} <= files and all(f.endswith(".wav") for f in files - {"rir_list", "noise_list"})


def schroeder_rt60(response, sample_rate=16000):
    """RT60 from the tail after the direct path: Schroeder's backward-integrated energy decay,
    a line fitted from -5 to -25 dB (T20), extrapolated to 60 dB."""
    tail = response[np.argmax(np.abs(response)) + 1:]
    decay = np.cumsum(tail[::-1] ** 2)[::-1]
    decay_db = 10 * np.log10(decay / decay[0] + 1e-300)
    fitted = np.nonzero((decay_db <= -5) & (decay_db >= -25))[0]
    assert len(fitted) > 20, "too short a decay to measure"
    slope_db_per_s = np.polyfit(fitted / sample_rate, decay_db[fitted], 1)[0]
    return -60.0 / slope_db_per_s


def eyring_rt60(length, width, height, absorption):
    volume = length * width * height
    surface = 2 * (length * width + width * height + height * length)
    return 0.161 * volume / (-surface * np.log(1 - absorption))


def test_simulated_responses_peak_on_the_direct_path_and_decay_with_their_rooms_rt60(rirs_dir):
    for category, (low, high) in ROOM_SIZES.items():
        for number in (1, 2, 3):
            room = rirs_noises.simulated_room(SEED, category, number)
            assert low <= room.length <= high and low <= room.width <= high and 2 <= room.height <= 5
            assert 0.2 <= room.absorption <= 0.8
            expected = eyring_rt60(room.length, room.width, room.height, room.absorption)
            for path in (rirs_dir / "simulated_rirs" / category / f"Room{number:03d}").glob("*.wav"):
                response = read(path)
                peak = np.argmax(np.abs(response))
                assert np.all(np.abs(response[:peak]) < 1e-3 * np.abs(response[peak])), path  # nothing before
                assert np.max(np.abs(response[peak + 1:])) < np.abs(response[peak]), path       # the loudest
                assert schroeder_rt60(response) == pytest.approx(expected, rel=0.2), path


def test_larger_room_categories_reverberate_longer():
    mean_rt60 = {category: np.mean([rirs_noises.simulated_room(0, category, n).rt60 for n in range(1, 201)])
                 for category in ROOM_SIZES}
    assert mean_rt60["smallroom"] < mean_rt60["mediumroom"] < mean_rt60["largeroom"]


def test_real_responses_peak_first_and_far_ones_are_more_reverberant(rirs_dir):
    real = rirs_dir / "real_rirs_isotropic_noises"
    for room in ("smallroom1", "mediumroom1", "largeroom1"):
        def direct_share(place):
            response = read(real / f"RVB2014_type1_rir_{room}_{place}_angla.wav")
            peak = np.argmax(np.abs(response))
            assert np.all(np.abs(response[:peak]) < 1e-3 * np.abs(response[peak]))
            return response[peak] ** 2 / np.sum(response ** 2)
        assert direct_share("near") > direct_share("far")


def test_rirs_is_byte_identical_on_a_rerun_and_zero_counts_are_refused(rirs_dir, tmp_path):
    assert same_tree(rirs_dir, build("rirs", tmp_path / "RIRS_NOISES", "--rooms-per-category", "3", "--nj", "2"))
    for option in ("--rooms-per-category", "--rirs-per-room"):
        proc = run_tool(TOOL, "--kind", "rirs", option, "0", "--out", tmp_path / "zero", check=False)
        assert_one_line_error(proc, option)
    assert not (tmp_path / "zero").exists()


# ---- unseen by construction -------------------------------------------------------------

def test_seed_namespaces_are_distinct():
    namespaces = [musan.NAMESPACE, rirs_noises.NAMESPACE, test_condition.NAMESPACE,
                  "voxceleb", "singer", "urbansound"]
    assert len(set(namespaces)) == len(namespaces)
    # seeding.stream turns a string key into its CRC-32: those must differ too.
    assert len({zlib.crc32(n.encode()) for n in namespaces}) == len(namespaces)


def unit_peak(x):
    return x / np.max(np.abs(x))


def test_test_condition_noises_are_none_of_musans(musan_dir):
    noise_files = sorted((musan_dir / "noise").rglob("*.wav"))
    for index in range(8):
        for path in noise_files:
            stand_in = read(path)
            _, drawn = test_condition.noise(SEED, index, len(stand_in) / 16000)
            assert len(drawn) == len(stand_in)
            assert not np.allclose(unit_peak(drawn), unit_peak(stand_in), atol=2e-3), (index, path)
    kind, again = test_condition.noise(SEED, 3, 1.0)
    assert np.array_equal(again, test_condition.noise(SEED, 3, 1.0)[1])          # reproducible
    assert kind in test_condition.NOISE_KINDS and np.all(np.isfinite(again))


def test_test_condition_rooms_are_none_of_rirs(rirs_dir):
    stand_in_rooms = {rirs_noises.simulated_room(SEED, category, n) for category in ROOM_SIZES for n in (1, 2, 3)}
    responses = [read(p) for p in (rirs_dir / "simulated_rirs").rglob("*.wav")]
    for index in range(8):
        category, room, distance, response = test_condition.room_response(SEED, index)
        assert category in ROOM_SIZES and room not in stand_in_rooms
        assert np.argmax(np.abs(response)) == round(distance / 343 * 16000)       # the direct path
        assert not any(len(r) == len(response) and np.allclose(r, response, atol=1e-4) for r in responses)
