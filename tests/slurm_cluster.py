"""A one-node Slurm cluster on localhost, for the tests of the Slurm job runner and launcher.

The session fixture ``slurm_cluster`` (registered in conftest.py) starts, as root, munged with a
key made for the run on a private socket, then slurmctld and slurmd with a slurm.conf generated
from slurm_cluster.conf in a private temporary directory; it waits for the node to be idle and at
the end of the session cancels what is left, stops the three daemons and removes the directory,
also after a failure. Clients reach the cluster through SLURM_CONF (``cluster.env``).

Without Slurm (Debian's slurm-wlm and munge) or root, the tests that need the cluster are skipped,
except under CI (the CI variable set), where that is a failure: CI cannot skip them silently.
"""
import os
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "sinfo", "squeue", "scancel",
            "scontrol")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
CTLD_PORT, SLURMD_PORT = 6817, 6818


def _program(name):
    return shutil.which(name, path=SEARCH_PATH)


def missing_reason():
    """Why the cluster cannot be started here, or None."""
    missing = [name for name in PROGRAMS if _program(name) is None]
    if missing:
        return (f"Slurm is not installed (no {', '.join(missing)}): "
                f"apt-get install slurm-wlm munge")
    if os.geteuid() != 0:
        return "the test Slurm cluster's daemons must be started as root"
    return None


def slurm_usable():
    """True when the cluster can be started; otherwise False, or a failure when CI is set."""
    reason = missing_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI runs the Slurm tests: {reason}", pytrace=False)
    return reason is None


def _memory_mb():
    with open("/proc/meminfo") as meminfo:
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    # A little under the total: slurmd drains a node that has less than its RealMemory.
    return int(total_kb / 1024 * 0.95)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    partition = "test"

    def __init__(self, directory):
        self.dir = Path(directory)
        self.conf = self.dir / "slurm.conf"
        self.cpus = os.cpu_count() or 1
        self.memory_mb = _memory_mb()
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self._pid_files = []

    # --- clients --------------------------------------------------------------------------
    def run(self, *args, check=True, env=None):
        """A Slurm client command against this cluster; its CompletedProcess (text)."""
        proc = subprocess.run([_program(args[0]), *map(str, args[1:])], capture_output=True,
                              text=True, env=env or self.env)
        if check and proc.returncode:
            raise AssertionError(f"{' '.join(map(str, args))}: {proc.stderr}")
        return proc

    def queue(self):
        """The jobs in the queue as (job id, name, state), array tasks one by one."""
        out = self.run("squeue", "-h", "-r", "-o", "%i %j %T").stdout
        return [tuple(line.split()) for line in out.splitlines()]

    def finished_jobs(self):
        """Every job that ended, as the dict of its jobcomp line (JobId, Name, JobState,
        ArrayJobId, ArrayTaskId, ...), in the order they ended."""
        path = self.dir / "jobs.txt"
        if not path.exists():
            return []
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in path.read_text().splitlines()]

    def unreachable_env(self):
        """Client settings for a controller that is down: this cluster's configuration with
        nothing listening on the controller's port (and a short message timeout)."""
        conf = self.dir / "unreachable.conf"
        text = re.sub(r"^SlurmctldPort=\d+$", f"SlurmctldPort={_free_port()}",
                      self.conf.read_text(), flags=re.M)
        conf.write_text(text + "MessageTimeout=2\n")
        return dict(self.env, SLURM_CONF=str(conf))

    # --- daemons --------------------------------------------------------------------------
    def _daemon(self, pid_file, *command):
        self._pid_files.append(pid_file)
        proc = subprocess.run([_program(command[0]), *map(str, command[1:])], text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=self.env)
        if proc.returncode:
            raise RuntimeError(f"{command[0]} did not start: {proc.stderr.strip()}")

    def start(self):
        munge = self.dir / "munge"
        for sub in ("state", "spool"):
            (self.dir / sub).mkdir(mode=0o700)
        # munged wants every directory above its socket searchable by all.
        self.dir.chmod(0o755)
        munge.mkdir(mode=0o755)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        socket_path = munge / "socket"
        self._daemon(munge / "munged.pid", "munged", f"--key-file={key}",
                     f"--socket={socket_path}", f"--pid-file={munge / 'munged.pid'}",
                     f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'seed'}")
        template = string.Template((HERE / "slurm_cluster.conf").read_text())
        self.conf.write_text(template.substitute(
            dir=self.dir, munge_socket=socket_path, ctld_port=CTLD_PORT, slurmd_port=SLURMD_PORT,
            cpus=self.cpus, memory_mb=self.memory_mb, partition=self.partition))
        self._daemon(self.dir / "slurmctld.pid", "slurmctld", "-f", self.conf)
        self._daemon(self.dir / "slurmd.pid", "slurmd", "-f", self.conf, "-N", "localhost")
        self._wait_for_idle_node(timeout=60)

    def _wait_for_idle_node(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.run("sinfo", "-h", "-N", "-o", "%T", check=False).stdout.split()
            if state == ["idle"]:
                return
            time.sleep(0.5)
        logs = "".join(f"\n--- {name}:\n" + "".join(
            (self.dir / name).read_text(errors="replace").splitlines(True)[-15:])
            for name in ("slurmctld.log", "slurmd.log") if (self.dir / name).exists())
        raise RuntimeError(f"the test Slurm node is not idle after {timeout} s "
                           f"(sinfo: {state}){logs}")

    def stop(self):
        if self.conf.exists() and (self.dir / "slurmctld.pid").exists():
            self.run("scancel", "--full", "--user", "root", check=False)
            deadline = time.time() + 20
            while self.queue_or_empty() and time.time() < deadline:
                time.sleep(0.5)
        _terminate(self._pid_files)
        self._pid_files.clear()

    def queue_or_empty(self):
        proc = self.run("squeue", "-h", "-o", "%i", check=False)
        return proc.stdout.split() if proc.returncode == 0 else []


def _terminate(pid_files, timeout=15):
    """End the daemons whose pids are in pid_files (SIGTERM, then SIGKILL) and wait for them."""
    pids = []
    for pid_file in pid_files:
        try:
            pids.append(int(Path(pid_file).read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + wait
        while time.time() < deadline:
            pids = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
            if not pids:
                return
            time.sleep(0.1)


@pytest.fixture(scope="session")
def slurm_cluster():
    if not slurm_usable():
        pytest.skip(missing_reason())
    cluster = SlurmCluster(tempfile.mkdtemp(prefix="metricvox-slurm-"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.dir, ignore_errors=True)
