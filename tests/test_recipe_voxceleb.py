"""egs/voxceleb/run.sh end to end on the mini stand-in corpus, in a scratch working directory."""
import os
import re
import subprocess

import pytest

from conftest import REPO

RECIPE = REPO / "egs" / "voxceleb"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A recipe directory of links to the real one, so outputs land in a temp dir."""
    work = tmp_path_factory.mktemp("voxceleb")
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local", "utils"):
        os.symlink(RECIPE / name, work / name)
    return work


def _run(workdir, *args):
    return subprocess.run(["bash", str(workdir / "run.sh"), "--standin-size", "mini", *args],
                          capture_output=True, text=True, cwd=workdir)


SYSTEMS = ("mfcc_stats", "ivector_cosine", "ivector_plda", "gmm_ubm", "vgg_random",
           "siamese_double", "siamese_triple", "vgg_softmax", "vgg_amsoftmax", "resnet_multi",
           "siamese_fusion")


def test_recipe_runs_end_to_end_and_reports_every_system(workdir):
    proc = _run(workdir)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert report in proc.stdout
    for system in SYSTEMS:
        row = re.search(rf"^\| {system} \| vox1_test \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                        report, re.M)
        assert row, (system, report)
        # Tiny data and one epoch: the numbers only have to be sane, not good.
        assert 0.0 <= float(row.group(1)) <= 100.0
        assert all(0.0 <= float(v) <= 1.0 + 1e-9 for v in row.groups()[1:])
    assert re.search(r"^- vox1_test: \d+ utterances, \d+ speakers$", report, re.M)
    assert re.search(r"precision against the speaker labels .*clients [\d.]+% same speaker", report)
    assert (workdir / "exp" / "results" / "det.png").read_bytes()[:4] == b"\x89PNG"


def test_rerun_from_a_middle_stage_skips_finished_work(workdir):
    scores_before = (workdir / "exp" / "RESULTS.md").stat().st_mtime_ns
    feats_before = (workdir / "data" / "vox1_test" / "feats.scp").stat().st_mtime_ns
    proc = _run(workdir, "--stage", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "feats.scp exists, skipping" in proc.stdout
    assert (workdir / "data" / "vox1_test" / "feats.scp").stat().st_mtime_ns == feats_before
    assert (workdir / "exp" / "RESULTS.md").stat().st_mtime_ns >= scores_before


def test_unknown_option_is_refused(workdir):
    proc = _run(workdir, "--stgae", "2")
    assert proc.returncode != 0
    assert "unknown option --stgae" in proc.stderr
