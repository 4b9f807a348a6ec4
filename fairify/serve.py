"""Serving the store: Oxigraph's own SPARQL server, or an aggregate-only template API.

* ``OxigraphServer`` runs the ``oxigraph`` command from PyPI (``serve-read-only`` unless asked
  to write) on the store, bound to 127.0.0.1 by default, with the union of the graphs as the
  default graph (as local queries see it) and a short query timeout: Oxigraph keeps a sleeping
  thread per query timer, and long timeouts under load crashed it.
* ``aggregate_app`` is a small Starlette app that runs only templates marked ``aggregate: true``,
  with typed parameters, and returns their results after small-cell suppression. It opens no
  raw SPARQL endpoint: a station in this mode answers named questions and nothing else.

Stale version graphs left by a killed load are removed before serving (``collect_garbage``):
the read-only server sees every graph. Oxigraph documents that reading a store while another
process writes it is undefined, so stop the server to load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from fairify.errors import FairifyError, UsageError

DEFAULT_TIMEOUT_S = 30


class ServeError(FairifyError):
    """The server could not start or stopped (exit code 3)."""


def oxigraph_command() -> str:
    """The ``oxigraph`` executable of the PyPI package, next to this Python first."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise ServeError(
            "the oxigraph server is not installed",
            hint="pip install 'fairify[serve]' (PyPI package oxigraph)",
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def prepare(store: str | Path) -> int:
    """Remove stale versions so that the server's union of graphs is exactly the current data."""
    from fairify.store import collect_garbage, open_store

    s = open_store(store)
    n = collect_garbage(s)
    s.flush()
    del s
    return n


class OxigraphServer:
    """``oxigraph serve-read-only --location STORE --bind HOST:PORT`` as a child process."""

    def __init__(
        self,
        store: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        read_only: bool = True,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        cors: bool = False,
        log: Path | None = None,
    ):
        self.store = Path(store)
        self.host = host
        self.port = port or free_port(host)
        self.read_only = read_only
        self.timeout_s = timeout_s
        self.cors = cors
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.url + "/query"

    @property
    def store_url(self) -> str:
        return self.url + "/store"

    def command(self) -> list[str]:
        cmd = [
            oxigraph_command(),
            "serve-read-only" if self.read_only else "serve",
            "--location",
            str(self.store),
            "--bind",
            f"{self.host}:{self.port}",
            "--union-default-graph",
            "--timeout-s",
            str(self.timeout_s),
        ]
        if self.cors:
            cmd.append("--cors")
        return cmd

    def start(self, wait: float = 30) -> OxigraphServer:
        if not (self.store / "CURRENT").exists():
            if self.read_only:
                raise UsageError(f"store {self.store} does not exist", hint="load something first")
        else:
            prepare(self.store)
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeError(f"the oxigraph server stopped at start (exit {self.process.returncode})")
            try:
                q = urllib.request.Request(
                    self.query_url + "?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"}
                )
                with urllib.request.urlopen(q, timeout=2) as r:
                    r.read()
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise ServeError(f"the oxigraph server did not answer on {self.url} within {wait:g} s")

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> OxigraphServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM the server when fairify dies, even by SIGKILL."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# -- the aggregate-only API ------------------------------------------------------------------------------


def aggregate_app(store: str | Path, *, queries: str | Path | None = None, station: str | None = None) -> Any:
    """A Starlette app serving only aggregate-only templates, with suppression, on ``store``.

    ``GET /`` the station and its templates; ``GET /templates`` their parameters and columns;
    ``GET|POST /templates/{name}`` runs one (parameters in the query string or as JSON
    ``{"params": {...}}``) and returns ``{"columns": {name: type}, "rows": [...],
    "suppressed": n, "min_cell_count": k}``. Errors are JSON ``{"error": message}``.
    """
    try:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServeError("the aggregate API needs Starlette", hint="pip install 'fairify[serve]'") from exc

    import fairify
    from fairify.query import bind, list_templates, run_sparql, suppress
    from fairify.store import describe, open_store

    templates = {t.name: t for t in list_templates(queries) if t.aggregate}
    db = open_store(store, read_only=True)
    name = station or os.environ.get("FAIRIFY_STATION") or socket.gethostname()

    def describe_template(t: Any) -> dict[str, Any]:
        return {
            "name": t.name,
            "description": t.description,
            "params": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "default": p.default,
                    "values": p.values,
                    "description": p.description,
                }
                for p in t.params.values()
            ],
            "columns": {c: v for c, v in t.columns.items() if c not in t.params},
            "min_cell_count": t.min_cell_count,
        }

    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "station": name,
                "fairify": fairify.__version__,
                "mode": "aggregate-only",
                "templates": sorted(templates),
            }
        )

    async def listing(request: Request) -> Response:
        return JSONResponse([describe_template(t) for _, t in sorted(templates.items())])

    async def run(request: Request) -> Response:
        tname = request.path_params["name"]
        t = templates.get(tname)
        if t is None:
            return JSONResponse({"error": f"no aggregate-only template {tname!r} at this station"}, 404)
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"error": "the body is not JSON"}, 400)
            extra = body.get("params", {}) if isinstance(body, dict) else None
            if not isinstance(extra, dict):
                return JSONResponse({"error": "params must be an object"}, 400)
            params.update(extra)
        try:
            terms = bind(t, params)
            df = await run_in_threadpool(run_sparql, db, t.sparql, terms, t.columns)
            df = df.drop(columns=[c for c in df.columns if c in t.params])
            from fairify.query import _min_param

            df, n = suppress(df, t, _min_param(t, params))
        except FairifyError as exc:
            return JSONResponse({"error": str(exc)}, 400 if exc.exit_code == 2 else 500)
        columns = {c: t.columns.get(c, "string") for c in df.columns}
        text = df.astype(object).where(df.notna(), None)
        rows = [[_jsonable(v) for v in row] for row in text.itertuples(index=False)]
        return JSONResponse(
            {
                "station": name,
                "template": t.name,
                "columns": columns,
                "rows": rows,
                "suppressed": n,
                "min_cell_count": max(t.min_cell_count, _min_param(t, params) or 0),
            }
        )

    async def dcat(request: Request) -> Response:
        text = await run_in_threadpool(describe, store, title=f"FAIR data station {name}")
        return Response(text, media_type="text/turtle")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/templates", listing),
            Route("/templates/{name}", run, methods=["GET", "POST"]),
            Route("/dcat", dcat),
        ]
    )


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(v, bool | int | float | str):
        return v
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def serve_aggregate(
    store: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7878,
    queries: str | Path | None = None,
    station: str | None = None,
) -> None:
    """Run the aggregate-only API with uvicorn until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover
        raise ServeError("the aggregate API needs uvicorn", hint="pip install 'fairify[serve]'") from exc
    prepare(store)
    uvicorn.run(
        aggregate_app(store, queries=queries, station=station), host=host, port=port, log_level="warning"
    )
