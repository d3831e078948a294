"""CPU time of each part of the `make up` stack, read from /proc: where an ingest run's time
goes. A part is a process tree (web, worker, PostgreSQL, Redis); its time is the user and
system time of every live process in it plus what its processes' reaped children used."""

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _pid_file_roots(data_dir: Path) -> dict[str, Path]:
    procs = data_dir / "procs"
    return {
        "web": procs / "web.pid",
        "worker": procs / "worker.pid",
        "postgres": data_dir / "pg" / "postmaster.pid",
        "redis": data_dir / "redis" / "redis.pid",
    }


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def _process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, own and reaped children's CPU seconds), for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is None:
            continue
        # After the name: state, ppid, ..., utime stime cutime cstime are fields 14-17.
        ticks = sum(int(value) for value in fields[11:15])
        table[int(entry)] = (int(fields[1]), ticks / CLOCK_TICKS)
    return table


def _tree_seconds(root: int, table: dict[int, tuple[int, float]]) -> float:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += table.get(pid, (0, 0.0))[1]
        stack.extend(children.get(pid, ()))
    return total


def snapshot(data_dir: Path) -> dict[str, float]:
    """CPU seconds used so far by each part whose pid file names a live process."""
    table = _process_table()
    seconds = {}
    for part, pid_file in _pid_file_roots(data_dir).items():
        pid = _read_pid(pid_file)
        if pid is not None and pid in table:
            seconds[part] = _tree_seconds(pid, table)
    seconds["bench"] = _tree_seconds(os.getpid(), table)
    return seconds


def per_envelope_report(before: dict[str, float], after: dict[str, float], count: int) -> str:
    """One line: CPU microseconds per envelope of each part between two snapshots."""
    parts = {part: (after[part] - before[part]) * 1e6 / count for part in after if part in before}
    listed = ", ".join(f"{part} {micros:.0f}" for part, micros in parts.items())
    return f"CPU per envelope (µs): {listed}; total {sum(parts.values()):.0f}"
