"""The CLI in a pseudo-terminal, as a person runs it: progress bars are drawn there, not in a pipe.

Every other test runs the CLI without a terminal, where no bar is drawn; a bar that crashes only
in a terminal (a tqdm bar tested for its truth value) is caught here.
"""
import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from pathlib import Path

FZKG = str(Path(sys.executable).with_name("fzkg"))


def run_in_terminal(args: list[str], until: str | None = None, timeout: float = 300.0) -> tuple[subprocess.Popen, str]:
    """Run ``args`` with a pseudo-terminal as stdin, stdout and stderr; read until it exits or
    prints ``until``. Returns the process (still running when ``until`` was seen) and its output."""
    controller, terminal = pty.openpty()
    # a terminal window of 24 × 100 (a new pseudo-terminal has 0 columns, where tqdm draws nothing)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            output += chunk
            if until and until in output.decode("utf-8", "replace"):
                break
        elif process.poll() is not None:
            break
    os.close(controller)
    return process, output.decode("utf-8", "replace")


def test_ingest_in_a_terminal_draws_a_progress_bar_and_finishes(tmp_path):
    process, output = run_in_terminal([FZKG, "ingest", "--data", str(tmp_path / "data"), "--workers", "1"])
    assert process.wait(timeout=60) == 0, output
    assert "5report" in output and "report/s" in output, output  # the bar was drawn
    assert "ingested 5 report(s)" in output, output


def test_ingest_in_a_pipe_draws_no_bar(tmp_path):
    run = subprocess.run([FZKG, "ingest", "--data", str(tmp_path / "data"), "--workers", "1"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "report/s" not in run.stderr and "5report" not in run.stderr


def test_serve_in_a_terminal_ingests_the_corpus_first_and_answers(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process, output = run_in_terminal([FZKG, "serve", "--data", str(tmp_path / "data"), "--port", str(port)],
                                      until="fzkg serving")
    try:
        assert process.poll() is None, output
        assert "ingested 5 report(s)" in output and "5report" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
