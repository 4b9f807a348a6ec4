"""Keyed pseudonyms: HMAC-SHA256 of an identifier under the site secret.

One function serves tables and DICOM so that the same patient gets the same pseudonym in both
and records still join. The secret never leaves the station; without it nobody can recompute
or reverse a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from fairify.errors import UsageError

SECRET_ENV = "FAIRIFY_SECRET"
SECRET_FILE_ENV = "FAIRIFY_SECRET_FILE"
HOW_TO = (
    f"set {SECRET_ENV} to a long random string, or {SECRET_FILE_ENV} (or --secret-file) to a file holding one; "
    'e.g. python -c "import secrets; print(secrets.token_hex(32))" > station.key'
)
MIN_SECRET_BYTES = 16
DIGEST_HEX = 32  # 128 bits: collision-free for any cohort, short enough for IRIs


def load_secret(secret_file: str | Path | None = None) -> bytes | None:
    """The site secret from ``secret_file``, ``$FAIRIFY_SECRET_FILE`` or ``$FAIRIFY_SECRET``."""
    path = secret_file or os.environ.get(SECRET_FILE_ENV)
    if path:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"secret file {p} not found", hint=HOW_TO)
        secret = p.read_bytes().strip()
    else:
        env = os.environ.get(SECRET_ENV)
        if not env:
            return None
        secret = env.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise UsageError(
            f"the site secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed", hint=HOW_TO
        )
    return secret


def normalise_identifier(value: str) -> str:
    """Identifiers are compared after trimming, so ' HN-001 ' in one export equals 'HN-001'."""
    return value.strip()


def pseudonym(value: str, secret: bytes) -> str:
    digest = hmac.new(secret, normalise_identifier(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:DIGEST_HEX]


def pseudonymise(values: pa.Array, secret: bytes) -> pa.Array:
    """Pseudonyms for a column; each distinct value is hashed once."""
    if len(values) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(values)
    hashed = pa.array([pseudonym(v, secret) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(hashed, encoded.indices)
