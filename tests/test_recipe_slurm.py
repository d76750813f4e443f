"""egs/utils/run_slurm.sh on a real one-node Slurm cluster (tests/slurm_cluster.py)."""
import re
import subprocess
import time

import pytest

from conftest import REPO, assert_one_line_error

UTILS = REPO / "egs" / "utils"


def _bash(script, cwd, env):
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, env=env)


def _without_times(log):
    return re.sub(r"^# (started|ended) .*? (on|with) ", r"# \1 ... \2 ", log, flags=re.M)


def _array_of(q_dir, name):
    return (q_dir / f"{name}.sbatch").read_text().split(";")[0].strip()


def _tasks(cluster, array_id):
    return {int(job["ArrayTaskId"]): job["JobState"] for job in cluster.finished_jobs()
            if job.get("ArrayJobId") == array_id}


def test_an_array_of_jobs_runs_through_slurm_and_logs_like_run_local(slurm_cluster, tmp_path):
    command = "JOB=1:3 {}/x.JOB.log echo part JOB \\| tr a-z A-Z"
    proc = _bash(f"{UTILS}/run_slurm.sh --max-jobs 2 --mem 100M " + command.format("slurm"),
                 tmp_path, slurm_cluster.env)
    assert proc.returncode == 0, proc.stderr
    _bash(f"{UTILS}/run_local.sh " + command.format("local"), tmp_path, slurm_cluster.env)
    for j in (1, 2, 3):
        log = (tmp_path / "slurm" / f"x.{j}.log").read_text()
        assert f"\nPART {j}\n" in log
        assert _without_times(log) == _without_times((tmp_path / "local" / f"x.{j}.log").read_text())
    # Slurm's own record: one array of three tasks, all completed.
    assert _tasks(slurm_cluster, _array_of(tmp_path / "slurm" / "q", "x.1")) == {
        1: "COMPLETED", 2: "COMPLETED", 3: "COMPLETED"}


def test_a_failed_job_fails_the_array_and_its_log_is_shown(slurm_cluster, tmp_path):
    env = {k: v for k, v in slurm_cluster.env.items() if k != "OMP_NUM_THREADS"}
    proc = _bash(f"{UTILS}/run_slurm.sh JOB=1:3 log/y.JOB.log "
                 "bash -c 'echo job JOB speaking, $OMP_NUM_THREADS thread; test JOB -ne 2'", tmp_path, env)
    assert proc.returncode == 1
    assert "1 of 3 jobs failed; see log/y.2.log" in proc.stderr
    assert "job 2 speaking, 1 thread" in proc.stderr  # a thread for the CPU Slurm gave the job
    assert _tasks(slurm_cluster, _array_of(tmp_path / "log" / "q", "y.1")) == {
        1: "COMPLETED", 2: "FAILED", 3: "COMPLETED"}


@pytest.mark.parametrize("case", ["unknown partition", "more memory than the node", "controller down"])
def test_an_array_slurm_refuses_or_cannot_take_is_one_line(slurm_cluster, tmp_path, case):
    options, env, reason = {
        "unknown partition": ("--partition nosuch", slurm_cluster.env, "Invalid partition name"),
        "more memory than the node": (f"--mem {2 * slurm_cluster.memory_mb}M", slurm_cluster.env,
                                      "Requested node configuration is not available"),
        "controller down": ("", slurm_cluster.unreachable_env(), "Unable to contact slurm controller"),
    }[case]
    proc = _bash(f"{UTILS}/run_slurm.sh {options} JOB=1:2 log/z.JOB.log true", tmp_path, env)
    assert_one_line_error(proc, "job array z.1", "log/z.JOB.log", reason)
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not list((tmp_path / "log").glob("z.*.log"))


def test_a_cancelled_array_leaves_nothing_half_written_and_reruns(slurm_cluster, tmp_path):
    """Cancelled while both jobs are writing (as a time limit or scancel does it), the array
    fails with Slurm's reason in the log, leaves no output, and runs again to the end."""
    # Each job copies two matrices from a pipe that stalls after the first for $STALL seconds.
    (tmp_path / "produce.sh").write_text(
        'echo "u1 [ 1 $1 ]"; touch started.$1; sleep "$STALL"; echo "u2 [ 3 4 ]"\n')
    command = (f"{UTILS}/run_slurm.sh JOB=1:2 log/c.JOB.log metricvox-copy-matrix "
               f"'ark:bash produce.sh JOB |' ark,scp:out.JOB.ark,out.JOB.scp")
    job = subprocess.Popen(["bash", "-c", command], cwd=tmp_path, text=True,
                           env=dict(slurm_cluster.env, STALL="120"), stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not all((tmp_path / f"started.{j}").exists() for j in (1, 2)):
        assert time.time() < deadline and job.poll() is None, "the jobs did not start"
        time.sleep(0.2)
    assert len(list(tmp_path.glob(".out.*.tmp"))) == 4  # both jobs are writing their outputs
    slurm_cluster.run("scancel", _array_of(tmp_path / "log" / "q", "c.1"))
    _, stderr = job.communicate(timeout=60)
    assert job.returncode == 1
    assert "2 of 2 jobs failed; see log/c.1.log" in stderr and "CANCELLED" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log", "produce.sh", "started.1", "started.2"]

    rerun = _bash(command, tmp_path, dict(slurm_cluster.env, STALL="0"))
    assert rerun.returncode == 0, rerun.stderr
    for j in (1, 2):
        text = subprocess.run(["metricvox-copy-matrix", f"scp:out.{j}.scp", "ark,t:-"], cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout
        assert text.split() == ["u1", "[", "1", str(j), "]", "u2", "[", "3", "4", "]"]
