"""Progress reports: log lines at a steady interval when stderr is not a terminal."""
import logging

import numpy as np
import kaldiio

from conftest import run_tool
from metricvox.progress import LoggedProgress


class Clock:
    """A clock that moves 10 s per reading after the first."""

    def __init__(self):
        self.now = -10.0

    def __call__(self):
        self.now += 10.0
        return self.now


def test_a_line_every_interval_with_count_rate_and_eta(caplog):
    caplog.set_level(logging.INFO, logger="metricvox.progress")
    bar = LoggedProgress(range(10), desc="epoch 1", unit="batch", interval=30, clock=Clock())
    bar.set_postfix({"loss": "0.5000"}, refresh=False)
    assert list(bar) == list(range(10))
    lines = [r.getMessage() for r in caplog.records]
    # Items end at t = 10, 20, ...: reports at 30, 60 and 90 s. At 30 s, 3 of 10 done at
    # 0.10 batch/s leave 7 batches, 70 s.
    assert lines == ["epoch 1: 3/10 batch (30%), 0.10 batch/s, ETA 1m10s, loss 0.5000",
                     "epoch 1: 6/10 batch (60%), 0.10 batch/s, ETA 0m40s, loss 0.5000",
                     "epoch 1: 9/10 batch (90%), 0.10 batch/s, ETA 0m10s, loss 0.5000"]


def test_without_a_total_the_count_and_rate_only(caplog):
    caplog.set_level(logging.INFO, logger="metricvox.progress")
    bar = LoggedProgress(desc="statistics", unit="utt", interval=25, clock=Clock())
    for _ in range(3):
        bar.update(50)
    assert [r.getMessage() for r in caplog.records] == ["statistics: 150 utt, 5.00 utt/s"]


def test_a_tool_logged_to_a_file_reports_progress_unless_quiet(tmp_path):
    kaldiio.save_ark(str(tmp_path / "f.ark"),
                     {f"u{i}": np.ones((20, 3), np.float32) for i in range(5)})
    command = (f"METRICVOX_PROGRESS_INTERVAL=0 metricvox-pool-feats {{}} ark:{tmp_path}/f.ark "
               f"ark:{tmp_path}/o.ark 2> {tmp_path}/log")
    run_tool(command.format(""))
    assert "metricvox-pool-feats: pooling: 5 utt, " in (tmp_path / "log").read_text()
    run_tool(command.format("--quiet"))
    assert (tmp_path / "log").read_text() == ""
