"""Worker and SMTP server processes for the tests that signal or kill a worker (the server survives it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.mail_server import read_out_dir

ROOT = Path(__file__).parents[2]
WAIT_S = 60  # a bound on waiting for a process or files, never a timing assertion


@dataclass(frozen=True)
class ServerProcess:
    port: int
    out: Path  # one file per accepted message

    def count(self) -> int:
        return len(list(self.out.glob("*.eml")))

    def keys(self) -> Counter[str]:
        """How often each Message-ID's unique part arrived."""
        return Counter(message["Message-ID"].strip("<>").split("@")[0] for message in read_out_dir(self.out))

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.02)


@contextmanager
def mail_server_process(out: Path) -> Iterator[ServerProcess]:
    """``python -m tests.mail_server`` writing what it accepts into ``out``; stopped with SIGTERM."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.mail_server", "--port", "0", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        banner = server.stdout.readline()
        assert banner.startswith("listening on 127.0.0.1:"), banner
        yield ServerProcess(int(banner.rsplit(":", 1)[1]), out)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=WAIT_S)


def worker_command(mode: str, data_dir: Path, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.worker.worker_process", mode, str(data_dir), str(port), *args]


def worker_env(database_url: str) -> dict[str, str]:
    """This process's environment and import path, with the test's database."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PAPERTIDE_DATABASE_URL": database_url}


def start_worker(command: list[str], database_url: str) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=worker_env(database_url))


def run_worker(command: list[str], database_url: str) -> int:
    env = worker_env(database_url)
    return subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=env, timeout=WAIT_S).returncode
