"""egs/utils/train_slurm.sh: metricvox-train as 2 srun tasks on gloo, on the test Slurm cluster."""
import subprocess
import time

import pytest

from conftest import REPO, assert_one_line_error
from metricvox.nnet.training.checkpoints import load_checkpoint
from test_nnet_training import base_config, feats_dir, write_config  # noqa: F401 (fixture)
from test_nnet_training_ddp import run_to_end, torchrun_train

TRAIN_SLURM = REPO / "egs" / "utils" / "train_slurm.sh"
EPOCHS = 6


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return write_config(tmp_path_factory.mktemp("config") / "exp.yaml", base_config(
        epochs=EPOCHS, sampler={"classes_per_batch": 4, "per_class": 2}))


@pytest.fixture(scope="module")
def torchrun_history(config, feats_dir, tmp_path_factory):  # noqa: F811
    """The reference: the same training under torchrun --standalone --nproc-per-node 2."""
    out = tmp_path_factory.mktemp("torchrun") / "exp"
    torchrun_train(config, feats_dir, out, "--seed", "7")
    return load_checkpoint(out / "last.pt").history


def _assert_same_losses(history, reference):
    assert [h["epoch"] for h in history] == [h["epoch"] for h in reference] == list(range(1, EPOCHS + 1))
    for mine, theirs in zip(history, reference):
        assert mine["loss"] == pytest.approx(theirs["loss"], abs=1e-6), (mine, theirs)


def test_two_srun_tasks_train_as_torchrun_does(slurm_cluster, config, feats_dir,  # noqa: F811
                                               torchrun_history, tmp_path):
    run_to_end([TRAIN_SLURM, "--tasks-per-node", 2, "metricvox-train", "--config", config,
                "--data", feats_dir, "--out", tmp_path / "exp", "--device", "cpu", "--seed", 7],
               timeout=180, env=slurm_cluster.env)
    assert "over 2 processes" in (tmp_path / "exp" / "train.log").read_text()
    _assert_same_losses(load_checkpoint(tmp_path / "exp" / "last.pt").history, torchrun_history)
    step = [job for job in slurm_cluster.finished_jobs() if job["Name"] == "metricvox-train"][-1]
    assert step["JobState"] == "COMPLETED" and step["ProcCnt"] == "2", step


def test_a_training_cancelled_mid_epoch_resumes_when_the_stage_reruns(  # noqa: F811
        slurm_cluster, config, feats_dir, torchrun_history, tmp_path):
    """train_once with train_cmd on Slurm: the job cancelled during an epoch leaves no done
    mark; rerun, it resumes from the last checkpoint and ends as an uncut training does."""
    script = (f". {REPO}/egs/utils/stage_helpers.sh; train_cmd='{TRAIN_SLURM} --tasks-per-node 2'; "
              f"train_once exp --config {config} --data {feats_dir} --device cpu --seed 7")
    first = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=slurm_cluster.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while not (tmp_path / "exp" / "last.pt").exists():  # after epoch 1, during epoch 2
        assert time.time() < deadline and first.poll() is None, first.stdout.read()[-3000:]
        time.sleep(0.02)
    slurm_cluster.run("scancel", "--name", "metricvox-train")
    out, _ = first.communicate(timeout=60)
    assert first.returncode != 0, out[-3000:]
    assert not (tmp_path / "exp" / "done").exists()
    cut_after = load_checkpoint(tmp_path / "exp" / "last.pt").epoch
    assert 1 <= cut_after < EPOCHS

    rerun = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=slurm_cluster.env, text=True,
                           capture_output=True, timeout=180)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    assert (tmp_path / "exp" / "done").exists()
    assert f"resuming exp after epoch {cut_after}" in (tmp_path / "exp" / "train.log").read_text()
    _assert_same_losses(load_checkpoint(tmp_path / "exp" / "last.pt").history, torchrun_history)


def test_a_training_slurm_refuses_ends_with_sruns_reason(slurm_cluster, tmp_path):
    proc = subprocess.run([TRAIN_SLURM, "--partition", "nosuch", "metricvox-train", "--help"],
                          cwd=tmp_path, env=slurm_cluster.env, capture_output=True, text=True)
    # srun's own words: the partition it does not know, and that nothing was started.
    assert_one_line_error(proc, "Unable to allocate resources: Invalid partition name")
    assert not proc.stdout
