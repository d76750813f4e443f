"""egs/voxceleb/run.sh end to end on the mini stand-in corpus, in a scratch working directory.

Where the test Slurm cluster can run (tests/slurm_cluster.py), the recipe's cmd.sh sends its
parallel jobs to it, as a site's cmd.sh does; otherwise they run here (utils/run_local.sh).
"""
import filecmp
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import REPO
from readme_blocks import indented_blocks
from slurm_cluster import slurm_usable

RECIPE = REPO / "egs" / "voxceleb"


@pytest.fixture(scope="module")
def cluster(request):
    """The test Slurm cluster, or None where it cannot run (outside CI)."""
    return request.getfixturevalue("slurm_cluster") if slurm_usable() else None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, cluster):
    """A recipe directory of links to the real one, so outputs land in a temp dir."""
    work = tmp_path_factory.mktemp("voxceleb")
    for name in ("run.sh", "path.sh", "conf", "local", "utils") + (() if cluster else ("cmd.sh",)):
        os.symlink(RECIPE / name, work / name)
    if cluster:
        (work / "cmd.sh").write_text(f'export SLURM_CONF={cluster.conf}\n'
                                     'export cmd="utils/run_slurm.sh"\n'
                                     'export train_cmd="$PWD/utils/train_slurm.sh"\n')
    return work


def _run(workdir, *args):
    return subprocess.run(["bash", str(workdir / "run.sh"), "--standin-size", "mini", *args],
                          capture_output=True, text=True, cwd=workdir)


SYSTEMS = ("mfcc_stats", "ivector_cosine", "ivector_plda", "gmm_ubm", "vgg_random",
           "siamese_double", "siamese_triple", "vgg_softmax", "vgg_amsoftmax", "resnet_multi",
           "siamese_fusion")


TRIAL_LISTS = ("veri_test", "veri_test_noisy", "veri_test2", "list_test_all2", "list_test_hard2")
SOURCES = {"veri_test_noisy": "vox1_noisy/veri_test"}  # the list's file in the corpus, if not vox1/NAME


def test_recipe_runs_end_to_end_and_reports_every_system(workdir):
    # The i-vector chain on Kaldi's subsets: the UBM on every 2nd frame, the extractor on the
    # 30 longest training utterances.
    proc = _run(workdir, "--ubm-subsample", "2", "--ivector-train-utts", "30")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    durations = dict(line.split() for line in
                     (workdir / "data" / "vox2_dev" / "utt2dur").read_text().splitlines())
    subset = (workdir / "data" / "vox2_dev_longest30" / "utt2spk").read_text().split("\n")[:-1]
    assert len(subset) == 30 and len(durations) > 30
    shortest_kept = min(float(durations[line.split()[0]]) for line in subset)
    assert sum(float(d) > shortest_kept for d in durations.values()) <= 30
    report = (workdir / "exp" / "RESULTS.md").read_text()
    assert report in proc.stdout
    header = "| system | " + " | ".join(f"{t} EER (%) | {t} minDCF(p=0.01)" for t in TRIAL_LISTS) + " |"
    assert header in report.splitlines(), report
    for system in SYSTEMS:
        row = re.search(rf"^\| {system} \|((?: [\d.]+ \|){{{2 * len(TRIAL_LISTS)}}})$", report, re.M)
        assert row, (system, report)
        values = [float(v) for v in row.group(1).strip(" |").split(" | ")]
        # Tiny data and one epoch: the numbers only have to be sane, not good.
        assert all(0.0 <= eer <= 100.0 for eer in values[0::2])
        assert all(0.0 <= dcf <= 1.0 + 1e-9 for dcf in values[1::2])
    # exp/report.html: the same table, a DET plot per list embedded, the run's settings.
    page = (workdir / "exp" / "report.html").read_text()
    assert all(f"<tr><td>{system}</td>" in page for system in SYSTEMS)
    assert page.count('<img src="data:image/png;base64,') == len(TRIAL_LISTS)
    assert "<tr><td>--ubm-subsample</td><td>2</td></tr>" in page
    assert re.search(r"^- vox1_test: \d+ utterances, \d+ speakers$", report, re.M)
    for name in TRIAL_LISTS:  # the report says which list each column is, and its size
        source = SOURCES.get(name, f"vox1/{name}")
        assert re.search(rf"^  - {name}: \S+/{source}.txt, as data/\S+: \d+ trials$", report, re.M), name
    # The noisy list is veri_test's trials over the noisy copy's recordings.
    clean, noisy = ((workdir / "data" / d / "trials").read_text().splitlines() for d in ("vox1_test", "vox1_test_noisy"))
    assert noisy == [re.sub(r"(\S+) (\S+) ", r"\1-noisy \2-noisy ", t) for t in clean]
    assert re.search(r"precision against the speaker labels .*clients [\d.]+% same speaker", report)
    for name in TRIAL_LISTS:
        assert (workdir / "exp" / "results" / f"det_{name}.png").read_bytes()[:4] == b"\x89PNG"


def _require(cluster):
    if cluster is None:
        pytest.skip("no test Slurm cluster here (see tests/slurm_cluster.py)")


def test_the_parallel_jobs_and_trainings_went_through_slurm(workdir, cluster):
    _require(cluster)
    jobs = [job for job in cluster.finished_jobs() if job["WorkDir"] == str(workdir)]
    trainings = [job["JobState"] for job in jobs if job["Name"] == "metricvox-train"]
    assert trainings == ["COMPLETED"] * 7  # vgg_random .. vgg_amsoftmax, resnet_pretrain, resnet_multi
    arrays = {}
    for job in jobs:
        if job.get("ArrayJobId"):
            arrays.setdefault((job["Name"], job["ArrayJobId"]), []).append(job["JobState"])
    for name in ("vox2_dev", "vox1_dev", "vox1_test"):
        array = f"make_mfcc_{name}.1"  # every feature job of a data dir: one array of nj tasks
        runs = [states for (job, _), states in arrays.items() if job == array]
        assert runs == [["COMPLETED", "COMPLETED"]], (array, arrays)
        assert (workdir / "exp" / "make_feats" / "q" / f"{array}.sh").exists()


def test_an_array_cancelled_mid_stage_reruns_to_a_clean_runs_outputs(workdir, cluster):
    """scancel of stage 2's feature jobs of one data dir: the stage fails, leaves no feats.scp
    nor temporary file, and rerun gives the same features as the first, uncancelled run."""
    _require(cluster)
    outputs = [workdir / "data" / f"vox1_test{suffix}" / "feats.scp" for suffix in ("", "_mel80", "_spec161")]
    outputs += sorted(p for p in (workdir / "mfcc").glob("*_vox1_test*.[0-9]*.*") if "_noisy" not in p.name)
    clean = workdir / "clean_run"
    clean.mkdir()
    for i, path in enumerate(outputs):
        os.replace(path, clean / str(i))
    proc = subprocess.Popen(["bash", str(workdir / "run.sh"), "--standin-size", "mini", "--stage", "2",
                             "--stop-stage", "2"], cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.time() + 120
    while not list((workdir / "mfcc").glob(".mfcc_vox1_test.*.tmp")):  # the jobs are writing
        assert time.time() < deadline and proc.poll() is None, proc.stdout.read()[-3000:]
        time.sleep(0.05)
    cluster.run("scancel", "--name", "make_mfcc_vox1_test.1")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "CANCELLED" in out, out[-3000:]
    assert not any(path.exists() for path in outputs[:3])
    leftovers = [p for d in ("data", "mfcc") for p in (workdir / d).rglob("*.tmp")]
    assert not leftovers, leftovers

    rerun = _run(workdir, "--stage", "2", "--stop-stage", "2")
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    for i, path in enumerate(outputs):
        assert filecmp.cmp(path, clean / str(i), shallow=False), path


def test_rerun_from_a_middle_stage_skips_finished_work(workdir):
    scores_before = (workdir / "exp" / "RESULTS.md").stat().st_mtime_ns
    feats_before = (workdir / "data" / "vox1_test" / "feats.scp").stat().st_mtime_ns
    proc = _run(workdir, "--stage", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "feats.scp exists, skipping" in proc.stdout
    assert (workdir / "data" / "vox1_test" / "feats.scp").stat().st_mtime_ns == feats_before
    assert (workdir / "exp" / "RESULTS.md").stat().st_mtime_ns >= scores_before


def test_a_rerun_with_another_config_never_reuses_the_finished_model(workdir):
    # The same experiments with one value changed: stage 5 refuses the model trained with the
    # old settings instead of reporting it as the new one's, and trains nothing.
    changed = workdir / "conf_changed"
    shutil.copytree(RECIPE / "conf" / "standin-mini", changed)
    config = changed / "vgg_random.yaml"
    config.write_text(config.read_text().replace("embedding_dim: 16", "embedding_dim: 24"))
    model = workdir / "exp" / "vgg_random" / "last.pt"
    before = model.stat().st_mtime_ns
    proc = _run(workdir, "--stage", "5", "--stop-stage", "5", "--conf-dir", str(changed))
    assert proc.returncode != 0
    assert "exp/vgg_random was trained with other settings" in proc.stderr
    assert model.stat().st_mtime_ns == before


def test_unknown_option_is_refused(workdir):
    proc = _run(workdir, "--stgae", "2")
    assert proc.returncode != 0
    assert "unknown option --stgae" in proc.stderr


def _outputs(workdir):
    """Every file the recipe made, with its modification time."""
    return {p: p.stat().st_mtime_ns for d in ("data", "exp", "mfcc") for p in (workdir / d).rglob("*")
            if p.is_file()}


def _wait_for_group_to_end(pgid, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process group {pgid} still running {timeout} s after SIGTERM")


def test_killed_mid_stage_a_rerun_finishes_without_redoing_or_leaving_partial_files(workdir):
    """Killed in stage 5 (a network half trained), the recipe reruns to the end: finished
    stages and finished experiments are not redone, no temporary file is left, and the
    networks trained again with the same seed on the same machine report the same figures."""
    later = ("siamese_triple", "vgg_softmax", "vgg_amsoftmax")
    first_rows = _report_rows(workdir, later + ("siamese_fusion",))
    for exp in later:
        subprocess.run(["rm", "-rf", str(workdir / "exp" / exp)], check=True)
    for scores in (workdir / "exp" / "scores").iterdir():
        if scores.name.startswith(later + ("siamese_fusion",)):
            scores.unlink()
    before = _outputs(workdir)
    proc = subprocess.Popen(["bash", str(workdir / "run.sh"), "--standin-size", "mini", "--stage", "3"],
                            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log = workdir / "exp" / "siamese_triple" / "train.log"
    deadline = time.time() + 300
    while not (log.exists() and "per epoch" in log.read_text()) and time.time() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
    os.killpg(proc.pid, signal.SIGTERM)  # the whole job, as kill, scancel or a time limit does
    proc.wait(timeout=120)
    assert proc.returncode != 0
    _wait_for_group_to_end(proc.pid)  # the tools unwind after the shell is gone
    assert not (workdir / "exp" / "siamese_triple" / "done").exists()

    rerun = _run(workdir, "--stage", "3")
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    after = _outputs(workdir)
    unchanged = {p: t for p, t in before.items() if after.get(p) == t}
    # Stage 3 and 4 outputs and the experiments finished before the kill are as they were.
    for kept in ("exp/ivector/ubm.npz", "exp/ivector/extractor.npz", "exp/mining/triplets",
                 "exp/siamese_double/done", "exp/vgg_random/done", "data/vox1_test/feats.scp"):
        assert workdir / kept in unchanged, kept
    assert (workdir / "exp" / "siamese_triple" / "done").exists()
    leftovers = [p for p in after if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert not leftovers, leftovers
    assert _report_rows(workdir, later + ("siamese_fusion",)) == first_rows


def _report_rows(workdir, systems):
    rows = [line for line in (workdir / "exp" / "RESULTS.md").read_text().splitlines()
            if line.startswith(tuple(f"| {system} |" for system in systems))]
    assert len(rows) == len(systems), rows
    return rows


def test_readme_examples_run_as_written_on_the_recipes_outputs(workdir):
    """README's tool examples, in order, in the recipe's directory after its run: a block that
    starts with ``# NAME.yaml`` is that file, a block of metricvox commands (after an optional
    ``cd egs/voxceleb``) runs as one bash script. Blocks of other commands (install, run.sh,
    Slurm, benchmarks) are run by other tests or not here."""
    blocks = indented_blocks((REPO / "README.md").read_text())
    ran = written = 0
    for block in blocks:
        first = block.splitlines()[0]
        if re.fullmatch(r"# [\w.-]+\.yaml\b.*", first):
            (workdir / first.split()[1].rstrip(":")).write_text(block + "\n")
            written += 1
            continue
        script = re.sub(r"\Acd egs/voxceleb\n", "", block)
        if not script.startswith("metricvox-"):
            continue
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=workdir,
                              capture_output=True, text=True)
        assert proc.returncode == 0, (script, proc.stderr[-3000:])
        if "metricvox-compute-eer" in script:
            assert re.search(r"^EER: [\d.]+%$", proc.stdout, re.M), (script, proc.stdout)
        ran += 1
    assert ran >= 3 and written >= 1, (ran, written)
    assert (workdir / "exp" / "angleproto" / "last.pt").is_file()
    assert (workdir / "exp" / "scores_fused").stat().st_size > 0
