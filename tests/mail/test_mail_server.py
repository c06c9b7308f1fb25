"""The test SMTP server run as a process of its own (for tests that kill the sender, not the server)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from papertide.config import load_settings
from papertide.mail import Mailer, compose
from tests.mail_server import read_out_dir

ROOT = Path(__file__).parents[2]


def test_server_process_writes_each_message_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "received"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.mail_server", "--port", "0", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        banner = server.stdout.readline()
        assert banner.startswith("listening on 127.0.0.1:"), banner
        port = int(banner.rsplit(":", 1)[1])
        settings = load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
        with Mailer.from_settings(settings).connect() as connection:
            for n in range(3):
                connection.send(
                    compose(settings, to=f"r{n}@example.com", subject=f"Digest {n}", text="t", html="<p>h</p>")
                )
        deadline = time.monotonic() + 10  # a wait for the files, not a timing assertion
        while len(read_out_dir(out)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        received = read_out_dir(out)
        assert [m["Subject"] for m in received] == ["Digest 0", "Digest 1", "Digest 2"]
        assert [m.envelope_to for m in received] == [["r0@example.com"], ["r1@example.com"], ["r2@example.com"]]
        assert received[0].envelope_from == "papertide@localhost"
        assert received[0].raw.startswith(b"From: ")  # the bytes as sent, without the envelope lines
        assert not list(out.glob(".*.tmp"))
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
