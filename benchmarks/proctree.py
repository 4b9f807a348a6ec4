"""Wall time, CPU time and peak memory of a command's whole process tree, measured from outside.

Shared by the benchmark scripts (``convert.py``, ``dicom.py``, ``validate.py``), so every table
counts start-up, worker processes and teardown the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")
NO_LIMIT = float("inf")


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and the descendants it waited for
    peak: int  # bytes: the largest sum of resident memory over the process and its descendants
    returncode: int
    log: Path
    stopped: str = ""  # why the run was stopped before it ended, if it was


def tree_rss(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux).

    Children are found through ``/proc/PID/task/TID/children``: far cheaper than reading every
    process's ``stat``, so the sampler takes little CPU from the run it measures.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", "rb") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (OSError, IndexError, ValueError):  # the process ended meanwhile
            pass
    return total


def measure(
    command: Sequence[str | Path],
    *,
    cwd: Path,
    log: Path,
    timeout: float = NO_LIMIT,
    max_memory: float = NO_LIMIT,
    env: Mapping[str, str] | None = None,
) -> Run:
    """Wall time and peak tree memory of one run; the process's output goes to ``log``.

    A sampler thread polls /proc while the main thread blocks in ``wait4``, so the time is not
    rounded up to the polling interval. (``ru_maxrss`` is no help: a child started by vfork + exec
    inherits the benchmark's own high-water mark.) The run is a session of its own: past
    ``timeout`` seconds or ``max_memory`` bytes the sampler kills its whole process group.
    """
    os.sync()  # the previous run's dirty pages must not be written back on this run's time
    peak = 0
    stopped = ""
    done = threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in command],
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )

        def sample() -> None:
            nonlocal peak, stopped
            while not done.is_set():
                rss = tree_rss(proc.pid)
                peak = max(peak, rss)
                elapsed = time.perf_counter() - start
                if not stopped and (elapsed > timeout or rss > max_memory):
                    stopped = (
                        f"stopped after {elapsed:.0f} s"
                        if elapsed > timeout
                        else f"stopped at {rss / (1 << 30):.1f} GiB after {elapsed:.0f} s"
                    )
                    with contextlib.suppress(OSError):  # it ended meanwhile
                        os.killpg(proc.pid, signal.SIGKILL)
                done.wait(POLL_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stopped:  # workers left in the group (the leader is gone) go too
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak, proc.returncode, log, stopped)


def log_tail(path: Path, lines: int = 3) -> str:
    """The last lines of a run's log, on one line (for a failed run's note)."""
    text = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return " | ".join(line.strip() for line in text[-lines:]) or "no output"
