"""The codeframe: driver themes -> sub-themes -> phrases, loaded from TOML and validated.

The shipped codeframe is ``lexicons/codeframe.toml`` (installed as package data); users edit it or pass
their own. Validation errors name the file and the line, so an analyst can fix the file by hand.

Example:
    >>> cf = load_codeframe()
    >>> cf.theme_ids[:2]
    ('logistics', 'price')
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from voc.errors import ConfigError

FORMAT = "voc-codeframe"
SUPPORTED_VERSIONS = (1,)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class SubTheme:
    """A sub-theme and the phrases that name it (see lexicons/codeframe.toml for the rules)."""

    id: str
    label: str
    phrases: tuple[str, ...]
    contextual: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    unless_near: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    """A top-level driver theme."""

    id: str
    label: str
    description: str
    subthemes: tuple[SubTheme, ...]


@dataclass(frozen=True)
class Codeframe:
    """A validated theme tree."""

    name: str
    themes: tuple[Theme, ...]
    source: str = "<memory>"

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """Top-level theme ids in file order."""
        return tuple(t.id for t in self.themes)

    @property
    def subtheme_ids(self) -> tuple[str, ...]:
        """``theme.subtheme`` ids in file order."""
        return tuple(f"{t.id}.{s.id}" for t in self.themes for s in t.subthemes)

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id (ConfigError listing the ids when unknown)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise ConfigError(f"theme {theme_id!r} is not in codeframe {self.source}; themes are: {', '.join(self.theme_ids)}")


def default_codeframe_path() -> Path:
    """Path of the shipped codeframe inside the installed package."""
    return Path(str(resources.files("voc.lexicons") / "codeframe.toml"))


def load_codeframe(path: str | Path | None = None) -> Codeframe:
    """Read and validate a codeframe TOML file (the shipped one when ``path`` is None).

    Raises:
        ConfigError: missing file, TOML syntax error, unknown format/version, or a malformed theme;
            the message names the file and the line.
    """
    p = Path(path) if path is not None else default_codeframe_path()
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(f"codeframe {p} not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"codeframe {p} is a directory; pass the .toml file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"codeframe {p} is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"codeframe {p}: {exc}") from exc
    return parse_codeframe(data, source=str(p), text=raw)


def parse_codeframe(data: dict[str, Any], *, source: str = "<memory>", text: str = "") -> Codeframe:
    """Validate the parsed TOML ``data`` and build a :class:`Codeframe`."""

    def fail(msg: str, needle: str | None = None) -> ConfigError:
        line = _line_of(text, needle) if needle else None
        where = f"{source}, line {line}" if line else source
        return ConfigError(f"codeframe {where}: {msg}")

    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise fail(f"format is {fmt!r}, expected {FORMAT!r}", "format")
    version = data.get("version", 1)
    if version not in SUPPORTED_VERSIONS:
        raise fail(f"version {version!r} is not supported by this voc (supported: {SUPPORTED_VERSIONS})", "version")
    raw_themes = data.get("theme")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise fail("no [[theme]] tables found; a codeframe needs at least one theme")
    themes: list[Theme] = []
    seen: set[str] = set()
    for t in raw_themes:
        tid = t.get("id")
        if not isinstance(tid, str) or not _ID.match(tid):
            raise fail(f"theme id {tid!r} must be lower-case ascii (letters, digits, _)", f"id = {tid!r}".replace("'", '"') if tid else "[[theme]]")
        if tid in seen:
            raise fail(f"theme {tid!r} is defined twice", f'id = "{tid}"')
        seen.add(tid)
        subs: list[SubTheme] = []
        sub_seen: set[str] = set()
        for s in t.get("subtheme", []):
            sid = s.get("id")
            if not isinstance(sid, str) or not _ID.match(sid):
                raise fail(f"sub-theme id {sid!r} of theme {tid!r} must be lower-case ascii", f'id = "{sid}"' if sid else "[[theme.subtheme]]")
            if sid in sub_seen:
                raise fail(f"sub-theme {tid}.{sid} is defined twice", f'id = "{sid}"')
            sub_seen.add(sid)
            fields = {}
            for key in ("phrases", "contextual", "near", "unless_near", "weak"):
                val = s.get(key, [])
                if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
                    raise fail(f"{tid}.{sid}: {key} must be a list of strings", f'id = "{sid}"')
                fields[key] = tuple(v.strip() for v in val if v.strip())
            if fields["contextual"] and not fields["near"]:
                raise fail(f"{tid}.{sid}: contextual phrases need a `near` list", f'id = "{sid}"')
            if not fields["phrases"] and not fields["contextual"] and not fields["weak"]:
                raise fail(f"{tid}.{sid} has no phrases", f'id = "{sid}"')
            unknown = set(s) - {"id", "label", "phrases", "contextual", "near", "unless_near", "weak", "description"}
            if unknown:
                raise fail(f"{tid}.{sid}: unknown key(s) {', '.join(sorted(unknown))}", f'id = "{sid}"')
            subs.append(SubTheme(id=sid, label=str(s.get("label", sid)), **fields))
        if not subs:
            raise fail(f"theme {tid!r} has no [[theme.subtheme]]", f'id = "{tid}"')
        themes.append(Theme(id=tid, label=str(t.get("label", tid)), description=str(t.get("description", "")),
                            subthemes=tuple(subs)))
    return Codeframe(name=str(data.get("name", Path(source).stem)), themes=tuple(themes), source=source)


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None
