"""BCP 47 language tags, as RML and R2RML require them (``"english"`` is not one)."""

from __future__ import annotations

import re

# RFC 5646 'langtag' (primary subtag of 2-3 letters: no 5-8 letter subtag is registered),
# private-use tags and the irregular grandfathered tags that still occur.
PATTERN = (
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+"
    r"|[Ii]-[A-Za-z]{2,8})$"
)
_RE = re.compile(PATTERN)


def is_language_tag(tag: str) -> bool:
    return bool(_RE.match(tag))
