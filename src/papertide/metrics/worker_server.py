"""The worker's own /metrics (``worker_metrics_port``): its job runs, the mail it sent, its pool.

A worker is a process of its own, often on another host than the web server, so Prometheus
scrapes it apart. The same ``metrics_access`` rules hold as for the web app's /metrics; with
loopback access the port listens on 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from papertide.config import Settings
from papertide.metrics.access import Access, metrics_access
from papertide.metrics.exposition import CONTENT_TYPE, scrape

log = logging.getLogger("papertide.worker")

_ANSWERS = {
    Access.HIDDEN: (404, "not found"),
    Access.UNAUTHENTICATED: (401, "metrics need 'Authorization: Bearer <metrics_token>'"),
    Access.REFUSED: (403, "metrics are served to loopback clients or the metrics token's holders only"),
}


def serve_worker_metrics(settings: Settings) -> ThreadingHTTPServer | None:
    """Start serving the worker's metrics on a daemon thread, if a port is set and access is not off."""
    if settings.worker_metrics_port is None or settings.metrics_access == "off":
        return None
    host = "127.0.0.1" if settings.metrics_access == "loopback" else "0.0.0.0"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            access = metrics_access(settings, self.client_address[0], self.headers.get("Authorization"))
            if self.path.split("?", 1)[0] != "/metrics":
                access = Access.HIDDEN
            if access is Access.ALLOWED:
                self._answer(200, scrape(), CONTENT_TYPE)
            else:
                status, text = _ANSWERS[access]
                self._answer(status, text.encode() + b"\n", "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="papertide"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("metrics: " + format, *args)

    server = ThreadingHTTPServer((host, settings.worker_metrics_port), Handler)
    threading.Thread(target=server.serve_forever, name="papertide-worker-metrics", daemon=True).start()
    log.info("worker metrics at http://%s:%d/metrics", host, settings.worker_metrics_port)
    return server
