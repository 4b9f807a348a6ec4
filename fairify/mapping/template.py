"""RML string templates: ``http://ex.org/{ID}/{Name}`` with ``\\{``, ``\\}`` and ``\\\\`` escapes."""

from __future__ import annotations

from fairify.errors import MappingError
from fairify.mapping.model import Template, TemplatePart


def parse_template(text: str) -> Template:
    """Split a template into literal text and references; reject malformed ones."""
    parts: list[TemplatePart] = []
    buf: list[str] = []
    in_ref = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "{}\\":
                raise MappingError(
                    f"invalid template {text!r}: a backslash must escape '{{', '}}' or '\\' (position {i + 1})"
                )
            buf.append(text[i + 1])
            i += 2
            continue
        if c == "{":
            if in_ref:
                raise MappingError(f"invalid template {text!r}: '{{' inside a reference (position {i + 1})")
            if buf:
                parts.append(TemplatePart("".join(buf), False))
            buf = []
            in_ref = True
        elif c == "}":
            if not in_ref:
                raise MappingError(f"invalid template {text!r}: unmatched '}}' (position {i + 1})")
            if not buf:
                raise MappingError(f"invalid template {text!r}: empty reference '{{}}' (position {i + 1})")
            parts.append(TemplatePart("".join(buf), True))
            buf = []
            in_ref = False
        else:
            buf.append(c)
        i += 1
    if in_ref:
        raise MappingError(f"invalid template {text!r}: '{{' is never closed")
    if buf:
        parts.append(TemplatePart("".join(buf), False))
    return Template(text, tuple(parts))


def escape_template_text(text: str) -> str:
    """Escape literal text so that it can stand in a template."""
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
