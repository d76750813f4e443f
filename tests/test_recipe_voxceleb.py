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


def test_recipe_runs_end_to_end_and_reports(workdir):
    proc = _run(workdir)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert report in proc.stdout
    row = re.search(r"^\| mfcc-stats cosine \| vox1_test \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                    report, re.M)
    assert row, report
    eer = float(row.group(1))
    assert 0.0 < eer < 50.0
    assert all(0.0 <= float(v) <= 1.0 + 1e-9 for v in row.groups()[1:])
    assert re.search(r"^- vox1_test: \d+ utterances, \d+ speakers$", report, re.M)


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
