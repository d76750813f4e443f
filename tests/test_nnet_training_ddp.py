"""Training under torchrun: 2 CPU processes on gloo, the global batch split by classes."""
import os
import shutil
import signal
import subprocess

import numpy as np
import pytest
import torch

from conftest import REPO
from metricvox.errors import InputError
from metricvox.nnet.pk_sampler import PKBatchSampler
from metricvox.nnet.training.checkpoints import load_checkpoint
from metricvox.nnet.training.distributed import ProcessGroup, ShareOfBatches
from test_nnet_training import base_config, feats_dir, write_config  # noqa: F401 (fixture)


def shares(sampler, world_size, monkeypatch):
    result = []
    for rank in range(world_size):
        monkeypatch.setenv("WORLD_SIZE", str(world_size))
        monkeypatch.setenv("RANK", str(rank))
        result.append(list(ShareOfBatches(sampler, ProcessGroup())))
    return result


def test_each_process_gets_whole_classes_of_the_global_batch(monkeypatch):
    labels = np.repeat(np.arange(6), 4)
    sampler = PKBatchSampler(labels, classes_per_batch=4, per_class=2, seed=5)
    first, second = shares(sampler, 2, monkeypatch)
    for whole, a, b in zip(sampler, first, second):
        assert a + b == whole
        assert len({labels[i] for i, _ in a}) == 2 and len({labels[i] for i, _ in b}) == 2
        assert not {labels[i] for i, _ in a} & {labels[i] for i, _ in b}
    with pytest.raises(InputError, match="multiple of the number of training processes"):
        shares(sampler, 3, monkeypatch)


def run_to_end(command, timeout=120, **popen):
    """Run a launcher of training processes; a hang ends its whole process group and fails."""
    proc = subprocess.Popen([str(a) for a in command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # a hang: end the launcher and its workers, then fail
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{command[0]} did not finish within {timeout} s")
    assert proc.returncode == 0, stderr
    return stderr


def torchrun_train(config, data, out, *options):
    """metricvox-train as 2 CPU processes under torchrun (--standalone: a free local port)."""
    return run_to_end(["torchrun", "--standalone", "--nproc-per-node", "2", REPO / "bin/metricvox-train",
                       "--config", config, "--data", data, "--out", out, "--device", "cpu", *options])


@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun is not installed")
def test_two_cpu_processes_train_one_epoch_and_exit(tmp_path, feats_dir):  # noqa: F811
    config = write_config(tmp_path / "exp.yaml", base_config(
        epochs=1, sampler={"classes_per_batch": 4, "per_class": 2}))
    torchrun_train(config, feats_dir, tmp_path / "exp")
    log = (tmp_path / "exp" / "train.log").read_text()
    assert "over 2 processes" in log
    assert log.count("epoch 1/1") == 1  # rank 0 alone writes
    checkpoint = load_checkpoint(tmp_path / "exp" / "last.pt")
    assert checkpoint.epoch == 1
    assert all(torch.isfinite(t).all() for t in checkpoint.model_state.values()
               if t.is_floating_point())
