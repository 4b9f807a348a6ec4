"""A throwaway PostgreSQL cluster for the R2RML cases: started once per session, stopped at the end.

The cluster lives in a temporary data directory, listens on 127.0.0.1 at a free port with trust
authentication, and is stopped (and its directory removed) however the session ends. Without a
PostgreSQL installation the tests that use it skip with the way to enable them; on CI (``CI=true``)
they fail instead, because CI must run them (``.ci/run`` installs the Debian package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENABLE = (
    "PostgreSQL is not installed: `apt-get install postgresql` (CI installs it) "
    "to run the R2RML cases on PostgreSQL"
)


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(why: str) -> None:
    """Skip locally; fail on CI, where the PostgreSQL cases must run."""
    if _on_ci():
        pytest.fail(f"{why} (CI=true: the PostgreSQL cases must run here)", pytrace=False)
    pytest.skip(why)


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's versioned directory."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb") + glob.glob("/usr/pgsql-*/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        digits = "".join(c if c.isdigit() or c == "." else " " for c in Path(path).parent.parent.name)
        return tuple(int(p) for p in digits.replace(".", " ").split() if p)

    for initdb in sorted(candidates, key=version, reverse=True):
        bin_dir = Path(initdb).parent
        if (bin_dir / "pg_ctl").exists():
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway cluster; ``database(name)`` creates (once) and returns a fresh database URL."""

    port: int
    user: str = "postgres"
    _databases: dict[str, str] = field(default_factory=dict)

    def url(self, dbname: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname=dbname, autocommit=True
        )

    def database(self, name: str, setup_sql: str | None = None) -> str:
        """A database made for ``name`` on first use (running ``setup_sql`` in it), then reused."""
        if name not in self._databases:
            dbname = "db_" + "".join(c if c.isalnum() else "_" for c in name.lower())[:50]
            with self.connect() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
                conn.execute(f"CREATE DATABASE \"{dbname}\" TEMPLATE template0 ENCODING 'UTF8'")
            if setup_sql:
                with self.connect(dbname) as conn:
                    conn.execute(setup_sql)
            self._databases[name] = self.url(dbname)
        return self._databases[name]


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(_as_cluster_owner(cmd), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway cluster on 127.0.0.1 (temporary data directory, trust auth); stop it at the end."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        _unavailable(ENABLE)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed: pip install -e '.[test]' (or '.[postgres]')")
    owner = None
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no `postgres` user to run the cluster as")
    root = Path(tempfile.mkdtemp(prefix="fairify-pg-"))
    data, log = root / "data", root / "server.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    pg_ctl = str(bin_dir / "pg_ctl")

    def stop() -> None:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], "stop")
        shutil.rmtree(root, ignore_errors=True)

    try:
        auth = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"]
        _run([str(bin_dir / "initdb"), "-D", str(data), *auth, "--no-sync", "--no-instructions"], "initdb")
        for attempt in range(3):  # the free port may be taken between finding and binding it
            port = _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=40"
            try:
                _run(
                    [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
                    "start",
                )
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                time.sleep(0.5)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        stop()
        pytest.fail(f"could not start PostgreSQL: {exc}\n{detail}", pytrace=False)
    try:
        yield PostgresServer(port=port)
    finally:
        stop()
