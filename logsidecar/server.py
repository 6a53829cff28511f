"""HTTP: /metrics, /-/healthy, /-/ready, /-/reload, and a status page for people."""

from __future__ import annotations

import contextlib
import html
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

IDLE_WAKE_SECONDS = 30.0  # the accept loop's select timeout: an idle sidecar stays idle


@dataclass(frozen=True)
class Endpoints:
    """What the server asks the application. Each call must be quick and thread-safe."""

    healthy: Callable[[], bool]
    ready: Callable[[], bool]
    reload: Callable[[], tuple[bool, str]]
    status: Callable[[], dict[str, Any]]


def _status_page(status: dict[str, Any]) -> str:
    rows = []
    for key, value in status.items():
        if isinstance(value, list | dict):
            text = json.dumps(value, indent=2, sort_keys=True, default=str)
            cell = f"<pre>{html.escape(text)}</pre>"
        else:
            cell = html.escape(str(value))
        rows.append(f"<tr><th>{html.escape(key)}</th><td>{cell}</td></tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>logsidecar</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;vertical-align:top;"
        "padding-right:1em}pre{margin:0}</style></head><body><h1>logsidecar</h1>"
        "<p><a href='/metrics'>metrics</a> · <a href='/-/healthy'>healthy</a> · "
        "<a href='/-/ready'>ready</a> · <a href='/-/status'>status (JSON)</a></p>"
        f"<table>{''.join(rows)}</table></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # scrapes every few seconds are not worth a log line each

    def _send(
        self, code: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        ep = self.server.endpoints
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, encoder(self.server.registry), content_type)
        elif path == "/-/healthy":
            ok = ep.healthy()
            self._send(200 if ok else 503, b"OK\n" if ok else b"processing loop stalled\n")
        elif path == "/-/ready":
            ok = ep.ready()
            self._send(200 if ok else 503, b"OK\n" if ok else b"not ready\n")
        elif path == "/-/status":
            body = json.dumps(ep.status(), indent=2, sort_keys=True, default=str).encode()
            self._send(200, body + b"\n", "application/json")
        elif path == "/":
            self._send(200, _status_page(ep.status()).encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 65536))
        if self.path.split("?", 1)[0] == "/-/reload":
            ok, message = self.server.endpoints.reload()
            self._send(200 if ok else 500, (message + "\n").encode())
        else:
            self._send(404, b"not found\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], registry: CollectorRegistry, endpoints: Endpoints
    ) -> None:
        self.registry = registry
        self.endpoints = endpoints
        super().__init__(address, _Handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class HttpServer:
    """Serves in a background thread; `port` is the bound port (useful with port 0). The
    socket is bound by `start()`, which raises OSError when it cannot be (a port in use)."""

    def __init__(
        self, address: str, port: int, registry: CollectorRegistry, endpoints: Endpoints
    ) -> None:
        self._address = (address, port)
        self._registry = registry
        self._endpoints = endpoints
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1]) if self._server else self._address[1]

    def start(self) -> None:
        server_class = _Server6 if ":" in self._address[0] else _Server
        self._server = server_class(self._address, self._registry, self._endpoints)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name="http",
            kwargs={"poll_interval": IDLE_WAKE_SECONDS},
            daemon=True,
        )
        self._thread.start()

    def _poke(self) -> None:
        """Wake the accept loop with a connection, so it notices the shutdown at once."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(str(host), str(host))
        with contextlib.suppress(OSError):
            socket.create_connection((host, int(port)), timeout=1).close()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            self._poke()
            stopper.join(timeout=0.05)
        self._server.server_close()
        self._thread.join(timeout=5)
