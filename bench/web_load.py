"""Load test of the web app on loopback: the hybrid search API and paper pages under concurrent clients.

Starts ``papertide serve`` (``--workers`` processes) over a papertide data directory
(by default the demo corpus, loaded and indexed into ``bench/.cache/web-demo`` on first use),
warms each scenario up, then keeps ``--concurrency`` clients busy for ``--duration`` seconds.
Search requests use distinct queries cut from stored titles; paper requests pick random ids.
Prints requests/s, latency percentiles, errors, the server's RSS before, half-way through
and after each run (flat memory: the second half adds nothing), and the server's CPU: the
cores it kept busy and its CPU time per request (which bounds requests/s on a small machine).
With several workers, RSS and CPU are summed over the server's processes (pages they share,
such as the mapped indexes, count in each; the PSS printed beside splits them between them)::

    .venv/bin/python bench/web_load.py [--data-dir DIR] [--workers 1] [--duration 30] [--concurrency 16]
                                       [--scenario search paper] [--client python|wrk] [--json out.json]

Targets at 1M papers: search >= 100 req/s with p99 <= 150 ms, paper page >= 500 req/s, no
errors over 5 minutes (``--duration 300``) and flat memory. The client runs on the same cores
as the server, so on a small machine the numbers understate what the server alone can do.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

from papertide.config import load_settings
from papertide.ingest.demo import install_demo
from papertide.store import open_store

DEMO_DIR = Path(__file__).resolve().parent / ".cache" / "web-demo"
SAMPLE_PAPERS = 20_000  # papers read from the store to draw queries and ids from
WARMUP_REQUESTS = 50
WRK_PATHS = 40_000  # distinct paths handed to wrk, cycled through in order
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(slots=True)
class Result:
    scenario: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rss_before_mb: float
    rss_half_mb: float
    rss_after_mb: float
    pss_after_mb: float  # proportional set size: shared pages split between the processes sharing them
    server_cores: float  # the server's CPU time over the run's length: ~1.4 of 2 is one process held by its GIL
    server_cpu_ms_per_request: float


def prepare_demo(data_dir: Path) -> Path:
    """The demo corpus with its search indexes in ``data_dir``; the loaders are incremental, so reruns are quick."""
    install_demo(load_settings(data_dir=data_dir))
    return data_dir


def sample_papers(data_dir: Path, database_url: str | None = None) -> tuple[list[str], list[str]]:
    """Ids and titles of up to :data:`SAMPLE_PAPERS` stored papers (of ``database_url`` when given)."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    store = open_store(settings.resolved_database_url)
    papers = list(itertools.islice(store.iter_papers(), SAMPLE_PAPERS))
    store.engine.dispose()
    return [p.paper_id for p in papers], [p.title for p in papers]


def distinct_queries(titles: list[str]) -> list[str]:
    """Every run of two to four title words, shuffled: what people type, and never the same twice in a row."""
    found: dict[str, None] = {}
    for title in titles:
        words = _WORD.findall(title.lower())
        for size in (2, 3, 4):
            for start in range(0, max(0, len(words) - size + 1), size):
                found[" ".join(words[start : start + size])] = None
    queries = list(found)
    random.Random(0).shuffle(queries)
    return queries


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(descendant for child in children for descendant in process_tree(int(child)))]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process and its descendants have used so far."""
    total = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _tree_mb(pid: int, file: str, key: str) -> float:
    """The sum of ``key``'s kB over the process and its descendants, read from ``/proc/<pid>/<file>``."""
    kb = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/{file}").read_text().splitlines():
            if line.startswith(key):
                kb += int(line.split()[1])
    return kb / 1024


def pss_mb(pid: int) -> float:
    """The memory the process and its descendants take, each shared page counted once between them."""
    return _tree_mb(pid, "smaps_rollup", "Pss:")


def rss_mb(pid: int) -> float:
    """The resident memory of the process and its descendants."""
    return _tree_mb(pid, "status", "VmRSS:")


def start_server(
    data_dir: Path,
    port: int,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    ready_within_s: float = 120,
    while_waiting: Callable[[], None] | None = None,
    poll_s: float = 0.2,
) -> subprocess.Popen:
    """A server over ``data_dir`` (``env`` replaces the environment), once its ``/readyz`` answers 200.

    ``while_waiting`` is called between polls (a benchmark watching the node's indexes grow).
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - not a pipe: a server logging while nobody reads would block
    command = ["-m", "papertide", "--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen([sys.executable, *command], stdout=subprocess.DEVNULL, stderr=log, env=env)
    deadline = time.monotonic() + ready_within_s
    while time.monotonic() < deadline:
        if while_waiting is not None:
            while_waiting()
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"the server exited: {log.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(poll_s)
    server.kill()
    raise SystemExit(f"the server did not become ready in {ready_within_s:.0f} s")


def search_paths(queries: list[str]) -> Iterator[str]:
    for query in itertools.cycle(queries):
        yield f"/api/v1/search?{httpx.QueryParams({'q': query, 'mode': 'hybrid'})}"


def paper_paths(ids: list[str]) -> Iterator[str]:
    rng = random.Random(1)
    while True:
        yield f"/paper/{rng.choice(ids)}"


async def drive(base_url: str, paths: Iterator[str], concurrency: int, seconds: float) -> tuple[list[float], int]:
    """Keep ``concurrency`` requests in flight for ``seconds`` (or until ``paths`` ends); latencies and error count."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline and (path := next(paths, None)) is not None:
            started = time.perf_counter()
            try:
                response = await client.get(path)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    return latencies, errors


# wrk (C, one thread) leaves more of a small machine to the server than the Python client does.
# Each request takes the next path of the list; ``done`` prints the summary as one JSON line.
WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%f, "errors": %%d, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def drive_wrk(base_url: str, paths: list[str], concurrency: int, seconds: float) -> dict:
    """Run ``wrk`` over ``paths`` and return its summary (latencies in ms, errors incl. non-2xx answers)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
        script.flush()
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--timeout", "10s", "-s", script.name]
        done = subprocess.run([*command, base_url], capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK "))
    return json.loads(line[4:])


class HalfTimeRss:
    """The server's RSS half-way through a run, read by a timer thread."""

    def __init__(self, pid: int, seconds: float) -> None:
        self.mb = float("nan")
        self._timer = threading.Timer(seconds / 2, self._read, args=(pid,))
        self._timer.start()

    def _read(self, pid: int) -> None:
        self.mb = rss_mb(pid)


def run_scenario(name: str, base_url: str, paths: Iterator[str], server_pid: int, args: argparse.Namespace) -> Result:
    asyncio.run(drive(base_url, itertools.islice(paths, WARMUP_REQUESTS), 4, 60))
    rss_before, cpu_before = rss_mb(server_pid), cpu_s(server_pid)
    half = HalfTimeRss(server_pid, args.duration)
    if args.client == "wrk":
        summary = drive_wrk(base_url, list(itertools.islice(paths, WRK_PATHS)), args.concurrency, args.duration)
        elapsed, requests, errors = summary["seconds"], summary["requests"], summary["errors"]
        ms = {key: summary[key] for key in ("p50", "p95", "p99", "max")}
    else:
        started = time.perf_counter()
        latencies, errors = asyncio.run(drive(base_url, paths, args.concurrency, args.duration))
        elapsed, requests = time.perf_counter() - started, len(latencies) + errors
        each = np.array(latencies or [float("nan")]) * 1000
        ms = {f"p{q}": float(np.percentile(each, q)) for q in (50, 95, 99)} | {"max": float(each.max())}
    cpu = cpu_s(server_pid) - cpu_before
    return Result(
        scenario=name,
        concurrency=args.concurrency,
        seconds=round(elapsed, 1),
        requests=requests,
        errors=errors,
        requests_per_s=round((requests - errors) / elapsed, 1),
        p50_ms=round(ms["p50"], 1),
        p95_ms=round(ms["p95"], 1),
        p99_ms=round(ms["p99"], 1),
        max_ms=round(ms["max"], 1),
        rss_before_mb=round(rss_before, 1),
        rss_half_mb=round(half.mb, 1),
        rss_after_mb=round(rss_mb(server_pid), 1),
        pss_after_mb=round(pss_mb(server_pid), 1),
        server_cores=round(cpu / elapsed, 2),
        server_cpu_ms_per_request=round(1000 * cpu / max(requests, 1), 2),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a papertide data directory with store and indexes")
    parser.add_argument("--workers", type=int, default=1, help="server processes (papertide serve --workers)")
    parser.add_argument("--duration", type=float, default=30, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--scenario", nargs="+", choices=("search", "paper"), default=["search", "paper"])
    parser.add_argument("--client", choices=("python", "wrk"), default="python", help="load generator")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    data_dir = args.data_dir or prepare_demo(DEMO_DIR)
    ids, titles = sample_papers(data_dir)
    if not ids:
        raise SystemExit(f"{data_dir} holds no papers")
    port = free_port()
    server = start_server(data_dir, port, workers=args.workers)
    base_url = f"http://127.0.0.1:{port}"
    scenarios = {"search": search_paths(distinct_queries(titles)), "paper": paper_paths(ids)}
    try:
        print(
            f"server pid {server.pid} ({args.workers} worker(s)), {len(ids)} papers sampled,"
            f" RSS at start {rss_mb(server.pid):.0f} MB"
        )
        results = [run_scenario(name, base_url, scenarios[name], server.pid, args) for name in args.scenario]
    finally:
        server.terminate()
        server.wait(10)
    header = ("req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print(
        f"{'scenario':8} " + " ".join(f"{h:>8}" for h in header) + f" {'errors':>7} {'RSS MB':>20}"
        f" {'PSS MB':>7} {'cores':>6} {'CPU ms/req':>10}"
    )
    for r in results:
        print(
            f"{r.scenario:8} {r.requests_per_s:8.1f} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.p99_ms:8.1f} {r.max_ms:8.1f}"
            f" {r.errors:7d} {r.rss_before_mb:6.0f}->{r.rss_half_mb:.0f}->{r.rss_after_mb:.0f}"
            f" {r.pss_after_mb:7.0f}"
            f" {r.server_cores:6.2f} {r.server_cpu_ms_per_request:10.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"workers": args.workers} for r in results], indent=2) + "\n")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
