"""`make run`: the collector and the dashboard side by side until Ctrl-C, which stops both cleanly.

    python -m dashboard.run [--port 8501]

Both children share the terminal (Ctrl-C reaches them directly); a SIGINT or SIGTERM sent to this
supervisor alone is passed on to them. If one of them ends by itself, the other keeps running.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

from dashboard.serve import DEFAULT_PORT

STOP_GRACE_S = 30.0


def children(port: int) -> dict[str, list[str]]:
    """The two commands, by name: `newsradar collect` and `newsradar dashboard --port N`."""
    newsradar = [sys.executable, "-m", "newsradar"]
    return {"collector": [*newsradar, "collect"], "dashboard": [*newsradar, "dashboard", "--port", str(port)]}


def supervise(commands: dict[str, list[str]], poll_s: float = 0.2) -> int:
    """Run the commands until all have ended; forward SIGINT/SIGTERM; 0 if every one ended cleanly."""
    procs = {name: subprocess.Popen(command) for name, command in commands.items()}
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        reported: set[str] = set()
        while any(p.poll() is None for p in procs.values()):
            for name, proc in procs.items():
                if proc.poll() is not None and name not in reported and not stopping:
                    reported.add(name)
                    print(f"newsradar: the {name} exited with status {proc.returncode}; "
                          "the rest keeps running (Ctrl-C stops it)", file=sys.stderr, flush=True)
            time.sleep(poll_s)
    finally:
        _stop_all(procs.values())
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if all(p.returncode in (0, -signal.SIGINT, -signal.SIGTERM) for p in procs.values()) else 1


def _stop_all(procs) -> None:
    """Whatever still runs (only after an error in this loop): SIGTERM, then SIGKILL after a grace period."""
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"dashboard port ({DEFAULT_PORT})")
    args = parser.parse_args(argv)
    return supervise(children(args.port))


if __name__ == "__main__":
    sys.exit(main())
