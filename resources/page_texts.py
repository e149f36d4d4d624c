"""The words of each concept page: a key idea, an everyday picture and a go-deeper card, kept in
resources/texts/<page>.md so they can be edited without touching code. Pure Python: no Qt.

A text file has three sections, each opened by a line "# Key idea", "# Everyday picture" or
"# Go deeper"; the first two are plain text (line breaks are joined), the go-deeper card is Qt
rich text (a subset of HTML).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resources.paths import resources_dir

SECTIONS = {"key idea": "key_idea", "everyday picture": "picture", "go deeper": "go_deeper"}
MAX_BYTES = 64 * 1024


class PageTextError(ValueError):
    """A page text file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class PageText:
    """The words around one concept page."""

    key_idea: str
    picture: str
    go_deeper: str  # Qt rich text


def texts_dir() -> Path:
    return resources_dir() / "texts"


def parse_page_text(text: str, source: str = "page text") -> PageText:
    """The three sections of a page text, or PageTextError naming what is missing."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# "):
            title = line[2:].strip().lower()
            if title not in SECTIONS:
                raise PageTextError(f"{source}: unknown section {line[2:].strip()!r}; "
                                    f"the sections are {', '.join(s.capitalize() for s in SECTIONS)}")
            current = SECTIONS[title]
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    missing = [title for title, key in SECTIONS.items() if not "".join(sections.get(key, [])).strip()]
    if missing:
        raise PageTextError(f"{source}: the section '# {missing[0].capitalize()}' is missing or empty")
    plain = {key: " ".join(line.strip() for line in sections[key] if line.strip())
             for key in ("key_idea", "picture")}
    return PageText(plain["key_idea"], plain["picture"], "\n".join(sections["go_deeper"]).strip())


def load_page_text(page: str) -> PageText:
    """The bundled text of a page (``byol``, ``dino``, ``multicrop``)."""
    path = texts_dir() / f"{page}.md"
    try:
        raw = path.read_bytes()[:MAX_BYTES + 1]
    except OSError as error:
        raise PageTextError(f"{path.name}: cannot be read ({error.strerror or error})") from None
    if len(raw) > MAX_BYTES:
        raise PageTextError(f"{path.name}: too large for a page text (at most {MAX_BYTES // 1024} KiB)")
    try:
        return parse_page_text(raw.decode("utf-8"), path.name)
    except UnicodeDecodeError:
        raise PageTextError(f"{path.name}: not a text file (not UTF-8)") from None
