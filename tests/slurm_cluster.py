"""A one-node SLURM cluster on localhost (munged, slurmctld, slurmd) for the cluster tests.

Everything it writes (munge key and socket, slurm.conf, state, spool, logs) lives in one directory;
the daemons run in the foreground as children of the test, and `stop` ends them by PID. Needs
Debian's slurmctld, slurmd, slurm-client and munge (`make test` installs them when run as root).

The SLURM job-step plugin strips SLURM_* variables (SLURM_CONF included) before `srun`, so the
config must also be found at /etc/slurm/slurm.conf: a symlink there for the cluster's lifetime.

    python tests/slurm_cluster.py DIR   # start one by hand; Ctrl-C stops it
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


def missing_tools() -> list[str]:
    return [name for name in DAEMONS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    def __init__(self, root: Path, cpus: int = 2, memory_mb: int = 16000):
        self.root, self.cpus, self.memory_mb = Path(root), cpus, memory_mb
        self.conf = self.root / "slurm.conf"
        self.logs = self.root / "log"
        self.processes: dict[str, subprocess.Popen] = {}
        self._linked = False

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _write_conf(self) -> None:
        munge = self.root / "munge"
        self.conf.write_text(f"""\
ClusterName=lab04test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge}/munge.sock
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.logs}/slurmctld.log
SlurmdLogFile={self.logs}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=300
JobCompType=jobcomp/filetxt
JobCompLoc={self.root}/jobcomp.log
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.logs / f"{name}.out", "w")  # noqa: SIM115 (lives as long as the daemon)
        self.processes[name] = subprocess.Popen([_tool(name), *args], stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True, env=self.env)

    def start(self, timeout: float = 60) -> SlurmCluster:
        if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
            raise RuntimeError(f"{SYSTEM_CONF} exists already: this test cluster will not replace a real one")
        munge = self.root / "munge"
        for d in (munge, self.root / "state", self.root / "spool", self.logs):
            d.mkdir(parents=True, exist_ok=True)
        munge.chmod(0o711)  # munged wants its socket directory searchable by clients
        subprocess.run([_tool("mungekey"), "--create", "--force", "--keyfile", str(munge / "munge.key")], check=True)
        self._write_conf()
        try:
            self._spawn("munged", "--foreground", "--force", f"--socket={munge}/munge.sock",
                        f"--key-file={munge}/munge.key", f"--log-file={self.logs}/munged.log",
                        f"--pid-file={munge}/munged.pid", f"--seed-file={munge}/munged.seed")
            self._wait(lambda: (munge / "munge.sock").exists(), timeout, "munged socket")
            SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
            SYSTEM_CONF.symlink_to(self.conf)
            self._linked = True
            self._spawn("slurmctld", "-D", "-f", str(self.conf))
            self._spawn("slurmd", "-D", "-N", "localhost", "-f", str(self.conf))
            self._wait(self._node_idle, timeout, "slurmd to register as idle")
        except BaseException:
            self.stop()
            raise
        return self

    def finished(self) -> dict[str, str]:
        """Every job that has ended, with its final state (COMPLETED, CANCELLED, ...), from the job completion
        log: kept for the cluster's lifetime, where squeue forgets a job MinJobAge seconds after it ends."""
        log = self.root / "jobcomp.log"
        states = {}
        for line in log.read_text().splitlines() if log.exists() else []:
            fields = dict(field.split("=", 1) for field in line.split() if "=" in field)
            states[fields["JobId"]] = fields["JobState"]
        return states

    def _node_idle(self) -> bool:
        out = subprocess.run([_tool("sinfo"), "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
        return out.returncode == 0 and out.stdout.strip() == "idle"

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [n for n, p in self.processes.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"SLURM test cluster: no {what} ({', '.join(dead) or 'timeout'}); "
                                   f"see the logs in {self.logs}")
            time.sleep(0.5)

    def squeue(self, *args: str) -> str:
        return subprocess.run([_tool("squeue"), "-h", *args], capture_output=True, text=True, env=self.env).stdout

    def stop(self) -> None:
        """Cancel what is still queued, end every daemon by PID (TERM, then KILL), remove the symlink."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run([_tool("scancel"), "--full", "--user", os.environ.get("USER", "root")],
                           env=self.env, capture_output=True)
            deadline = time.monotonic() + 30
            while self.squeue("-t", "PD,R,CG").strip() and time.monotonic() < deadline:
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.processes.pop(name, None)
            if proc is None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._linked and SYSTEM_CONF.is_symlink():
            SYSTEM_CONF.unlink()
        self._linked = False
        self._end_orphaned_job_steps()

    def _end_orphaned_job_steps(self) -> None:
        """A job step whose slurmstepd ended with the daemons (a cancelled job, a job still waiting for its
        files) outlives the cluster; end those of this cluster, known by its SLURM_CONF in their environment."""
        mark = f"SLURM_CONF={self.conf}".encode()
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and b"slurm-jobstep" in (proc / "cmdline").read_bytes() and \
                        mark in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                continue

    def __enter__(self) -> SlurmCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    with SlurmCluster(Path(sys.argv[1]).resolve()) as cluster:
        print(f"SLURM test cluster up; use SLURM_CONF={cluster.conf}. Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
