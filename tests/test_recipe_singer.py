"""egs/singer5057: its catalogue preparation, and run.sh end to end on the
mini stand-in, on the mixes and on their separated vocals, in a scratch working directory."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, assert_one_line_error
from metricvox.synth.audio_files import write_mp3

RECIPE = REPO / "egs" / "singer5057"
RATE = 44100


# --- catalogue preparation: bad tracks, VAD fallback ----------------------------------------

def _song(seconds, on, off, rng):
    """A 'sung' 220 Hz tone between on and off seconds over faint noise."""
    t = np.arange(int(seconds * RATE)) / RATE
    signal = 0.001 * rng.standard_normal(len(t))
    voiced = (t >= on) & (t < off)
    signal[voiced] += 0.5 * np.sin(2 * np.pi * 220 * t[voiced])
    return signal


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    rng = np.random.default_rng(0)
    rows = []
    tracks = {"singerA": [("t1", "train"), ("t2", "train"), ("t3", "train"), ("t4", "test"), ("t5", "test")],
              "singerB": [("t1", "train"), ("t2", "train"), ("t3", "train"), ("t4", "test")],
              "singerU": [("t1", "test"), ("t2", "test")]}
    for singer, entries in tracks.items():
        for track, subset in entries:
            rows.append(f"{singer},{track},album1,{subset}\n")
            audio = root / "audio" / singer / f"{track}.mp3"
            audio.parent.mkdir(parents=True, exist_ok=True)
            phrases = root / "phrases" / singer / f"{track}.txt"
            phrases.parent.mkdir(parents=True, exist_ok=True)
            seconds = 1.5 if (singer, track) == ("singerB", "t3") else 5.0
            write_mp3(audio, _song(seconds, 1.0, 4.8, rng), RATE)
            phrases.write_text("" if (singer, track) == ("singerB", "t2") else "1.000 4.800\n")
    (root / "audio" / "singerA" / "t3.mp3").write_bytes(rng.bytes(3000))     # corrupt
    (root / "phrases" / "singerU" / "t2.txt").unlink()                         # VAD fallback
    (root / "catalogue.csv").write_text("singer,track,album,set\n" + "".join(rows))
    return root


@pytest.fixture(scope="module")
def prepared(catalogue, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    proc = subprocess.run(
        [sys.executable, str(RECIPE / "local" / "prepare_catalogue.py"), "--seed", "1",
         "--mfcc-config", str(RECIPE / "conf" / "mfcc_vad.conf"),
         "--vad-config", str(RECIPE / "conf" / "vad.conf"), str(catalogue), str(data)],
        capture_output=True, text=True)
    return proc, data


def test_bad_tracks_are_named_counted_and_skipped(prepared):
    proc, data = prepared
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"skipping track singerA-t3: audio not decodable", proc.stderr)
    assert re.search(r"skipping track singerB-t3: 1\.\d+ s long, shorter than a 3\.5 s clip", proc.stderr)
    assert re.search(r"skipping track singerB-t2: no 3\.5 s clip with 50% voiced \(phrase", proc.stderr)
    assert "8 of 11 tracks usable" in proc.stdout and "3 bad track(s) skipped" in proc.stdout
    bad = sorted(line.split()[0] for line in (data / "bad_tracks").read_text().splitlines())
    assert bad == ["singerA-t3", "singerB-t2", "singerB-t3"]
    every_track = "".join((data / name / "wav.scp").read_text()
                          for name in ("train", "valid", "test_seen", "test_unseen"))
    assert not any(track in every_track for track in bad)


def test_training_tracks_split_per_singer_and_test_sets_by_seen(prepared):
    _, data = prepared
    keys = {name: [line.split()[0] for line in (data / name / "utt2spk").read_text().splitlines()]
            for name in ("train", "valid", "test_seen", "test_unseen")}
    # singerA has 2 good training tracks and singerB 1: one each to validation where possible.
    assert sorted(keys["train"] + keys["valid"]) == ["singerA-t1", "singerA-t2", "singerB-t1"]
    assert len([k for k in keys["valid"] if k.startswith("singerA")]) == 1
    assert keys["test_seen"] == ["singerA-t4", "singerA-t5", "singerB-t4"]
    assert keys["test_unseen"] == ["singerU-t1", "singerU-t2"]


def test_track_without_phrases_gets_its_voiced_region_from_the_vad(prepared):
    _, data = prepared
    voiced = dict(line.split(maxsplit=1) for line in (data / "test_unseen" / "voiced").read_text().splitlines())
    assert voiced["singerU-t1"] == "1.00 4.80"                 # from the phrase file
    times = [float(v) for v in voiced["singerU-t2"].split()]   # from the energy VAD
    regions = list(zip(times[::2], times[1::2]))
    inside = sum(min(e, 4.8) - max(s, 1.0) for s, e in regions if e > 1.0 and s < 4.8)
    total = sum(e - s for s, e in regions)
    assert inside >= 0.9 * 3.8 and total <= 3.8 + 0.3, regions


def test_a_bad_catalogue_row_is_one_line_error_naming_file_and_line(tmp_path):
    (tmp_path / "catalogue.csv").write_text("singer,track,album,set\nsingerA,t1,a,train\n"
                                            "singerA,t2,a,dev\n")
    proc = subprocess.run([sys.executable, str(RECIPE / "local" / "prepare_catalogue.py"),
                           str(tmp_path), str(tmp_path / "data")], capture_output=True, text=True)
    assert_one_line_error(proc, "catalogue.csv:3", "set must be train or test", "'dev'")


# --- the recipe ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A recipe directory of links to the real one, so outputs land in a temp dir."""
    work = tmp_path_factory.mktemp("singer5057")
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local", "utils"):
        os.symlink(RECIPE / name, work / name)
    return work


def _run(workdir, *args):
    # One torch thread: on a shared, loaded machine a second one mostly spins.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(["bash", str(workdir / "run.sh"), "--standin-size", "mini", *args],
                          capture_output=True, text=True, cwd=workdir, env=env)


SYSTEMS = ("Triplets (α=0.2)", "GE2E (M=4)", "PNL (M=4)", "A-PNL (M=4)")
NUMBER = r"(\d+\.\d\d)"


def _table2_rows(block):
    """{system: its six Table II figures} of one condition's block of Table II."""
    rows = {}
    for system in SYSTEMS:
        row = re.search(rf"^\| {re.escape(system)} \| " + r" \| ".join([NUMBER] * 6) + r" \|$",
                        block, re.M)
        assert row, (system, block)
        rows[system] = [float(v) for v in row.groups()]
    return rows


def test_recipe_runs_end_to_end_and_reports_the_papers_tables(workdir):
    proc = _run(workdir)       # --separate true, the default
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert report in proc.stdout
    assert "<h3>Table IV: verification EER" in (workdir / "exp" / "report.html").read_text()
    # Stage 2 separated every set into 16 kHz vocals, with the tracks' names.
    for name in ("train", "valid", "test_seen", "test_unseen"):
        mix = (workdir / "data" / name / "wav.scp").read_text().split()[::2]
        vocals = (workdir / "data" / "vocals" / name / "wav.scp").read_text().split()
        assert vocals[::2] == mix and all(path.endswith(".wav") for path in vocals[1::2])
    # Table II has both blocks, vocals first as in the paper, each with all its figures.
    table2 = report.split("## Table III")[0]
    with_separation, without_separation = table2.split("**Without source separation**")
    assert "**With source separation**" in with_separation
    blocks = {"vocals": _table2_rows(with_separation), "mix": _table2_rows(without_separation)}
    for rows in blocks.values():
        for values in rows.values():
            assert all(0.0 <= v <= 100.0 for v in values)
            assert values[2] == values[3] == 100.0     # top-5 among 3 singers
    # Three singers per test set: chance is 33.3% top-1. Two tiny epochs must beat it on
    # average over the systems and both sets, on each condition.
    for condition, rows in blocks.items():
        assert np.mean([v for values in rows.values() for v in values[:2]]) > 100.0 / 3, (condition, report)
    # Table III: 1, 3, 5 clips per query for A-PNL and Triplets; Table IV: EER per model size;
    # each once per condition.
    for n in (1, 3, 5):
        assert len(re.findall(rf"^\| {n} \| " + r" \| ".join([NUMBER] * 4) + r" \|$", report, re.M)) == 2, report
    for system in ("Triplets (α=0.2)", "A-PNL (M=4)"):
        assert len(re.findall(rf"^\| {re.escape(system)} \| " + r" \| ".join([NUMBER] * 6) + r" \|$",
                              report.split("Table IV")[1], re.M)) == 2, report
    assert re.search(r"^- test_unseen: 30 tracks of 3 singers, \d+ clips of 3.5 s$", report, re.M)


def test_rerun_from_a_middle_stage_skips_finished_work(workdir):
    feats_before = (workdir / "data" / "mix" / "test_seen_clips" / "feats.scp").stat().st_mtime_ns
    model_before = (workdir / "exp" / "mix" / "apnl_m4" / "last.pt").stat().st_mtime_ns
    proc = _run(workdir, "--stage", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "feats.scp exists, skipping" in proc.stdout
    assert (workdir / "data" / "mix" / "test_seen_clips" / "feats.scp").stat().st_mtime_ns == feats_before
    assert (workdir / "exp" / "mix" / "apnl_m4" / "last.pt").stat().st_mtime_ns == model_before
    assert "metricvox-train" not in proc.stderr


def test_without_separation_the_report_has_the_mixes_only(workdir):
    proc = _run(workdir, "--stage", "7", "--separate", "false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert "**Without source separation**" in report and "With source separation" not in report
    assert _table2_rows(report.split("## Table III")[0])


def test_unknown_option_is_refused(workdir):
    proc = _run(workdir, "--stgae", "2")
    assert proc.returncode != 0
    assert "unknown option --stgae" in proc.stderr
