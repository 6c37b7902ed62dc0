"""Segmentation: jieba words for normalised Chinese text, and spaCy Docs built from them.

:class:`Segmenter` wraps its *own* segmenter instance — never jieba's global ``jieba.dt`` — loaded with
jieba's dictionary plus voc's domain dictionary (``lexicons/userdict.txt``) and any user dictionary.
Two interchangeable back ends give the same words (the test suite checks it on our phrases):

- ``"jieba"``: a private :class:`jieba.Tokenizer` (pure Python, the reference);
- ``"rjieba"``: the Rust port of jieba's algorithm with the same dictionary (about 20x faster, 0.1 s load).

``"auto"`` (the default) picks rjieba when it is installed. Dictionaries load lazily on first use and are
cached on the object, so ``import voc`` stays fast. Placeholders (``<PHONE>``), bracket emoticons
(``[捂脸]``) and emoji sequences stay single tokens.

Example:
    >>> seg = Segmenter()
    >>> seg.cut("快递员态度很差[捂脸]")
    ['快递员', '态度', '很差', '[捂脸]']
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

# compiled phrase search and text checks where built; pyahocorasick and the iterators below otherwise
from voc._accel import _phrases, _scan
from voc.config import Config
from voc.errors import ConfigError
from voc.normalise import PROTECTED_HINT, PROTECTED_PATTERN

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

BACKENDS = ("auto", "jieba", "rjieba")
_PROTECTED = re.compile(PROTECTED_PATTERN)
_PROTECTED_HINT = re.compile(PROTECTED_HINT)


def _has_protected(text: str) -> bool:
    """Whether ``text`` holds a placeholder, emoji or emoticon that must stay one token."""
    return _PROTECTED_HINT.search(text) is not None and _PROTECTED.search(text) is not None


class Token(NamedTuple):
    """One word of the normalised text, with its half-open character span in that text."""

    text: str
    start: int
    end: int


def shipped_user_dict() -> Path:
    """Path of voc's domain dictionary inside the installed package."""
    return Path(str(resources.files("voc.lexicons") / "userdict.txt"))


def read_user_dict(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """Read a jieba user dictionary (``word [freq] [tag]`` per line; ``#`` comments allowed).

    Raises:
        ConfigError: the file is missing or a frequency is not a number (the line is named).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as exc:
        raise ConfigError(f"user dictionary {p} not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"user dictionary {p} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    entries: list[tuple[str, int | None, str | None]] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq: int | None = None
        tag: str | None = None
        if len(parts) > 1:
            if not parts[1].isdigit():
                raise ConfigError(f"{p}, line {lineno}: frequency {parts[1]!r} is not a whole number")
            freq = int(parts[1])
        if len(parts) > 2:
            tag = parts[2]
        entries.append((parts[0], freq, tag))
    return entries


def _find_rjieba() -> Any:
    """The import spec of the rjieba package, without importing it (None when it is not installed)."""
    import importlib.util

    try:
        return importlib.util.find_spec("rjieba")
    except (ImportError, ValueError):  # pragma: no cover - a broken installation
        return None


@functools.lru_cache(maxsize=1)
def _rjieba_class() -> Any:
    """rjieba's ``Jieba`` class, loaded from its extension module directly.

    ``import rjieba`` runs the package's ``__init__``, which builds a global default instance with the
    full dictionary (0.2 s and ~40 MB we never use: voc keeps its own instance). Loading the compiled
    module alone skips that; any surprise falls back to the plain import.
    """
    import importlib.machinery
    import importlib.util
    import sys

    name = "rjieba.rjieba"
    if name in sys.modules:  # the package was imported already (by the user): use it
        return sys.modules[name].Jieba
    try:
        spec = _find_rjieba()
        folder = Path(spec.submodule_search_locations[0])
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"rjieba{suffix}"
            if path.is_file():
                ext = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(ext)  # type: ignore[arg-type]
                ext.loader.exec_module(module)  # type: ignore[union-attr]
                return module.Jieba
    except (ImportError, OSError, AttributeError, TypeError, IndexError):  # pragma: no cover
        pass  # an unusual layout: use the package as published
    import rjieba

    return rjieba.Jieba


class Segmenter:
    """Word segmentation with a private jieba instance and voc's domain dictionary.

    Args:
        config: settings (``segmenter`` back end, ``user_dict``, ``hmm``); defaults when None.
        backend: overrides ``config.segmenter``: "auto", "jieba" or "rjieba".
        user_dicts: extra dictionaries loaded after the shipped one.

    Thread-safe: the lazy load is guarded by a lock; cutting afterwards needs no lock.
    """

    def __init__(self, config: Config | None = None, *, backend: str | None = None,
                 user_dicts: Iterable[str | Path] = ()) -> None:
        self.config = config or Config()
        self.backend = backend or self.config.segmenter
        self.user_dicts = tuple(Path(p) for p in user_dicts)
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown segmenter {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        self._lock = threading.Lock()
        self._impl: Any = None
        self._cut: Any = None
        self._nlp: Language | None = None
        self._spans: Any = None  # back end's own (word, start, end) tokenizer, when it has one

    # -- loading -------------------------------------------------------------------------------
    @property
    def backend_name(self) -> str:
        """The back end actually in use ("jieba" or "rjieba"), resolving "auto"."""
        if self.backend != "auto":
            return self.backend
        return "rjieba" if _find_rjieba() is not None else "jieba"

    def _dict_entries(self) -> list[tuple[str, int | None, str | None]]:
        paths = [shipped_user_dict(), *self.user_dicts]
        if self.config.user_dict:
            paths.append(Path(self.config.user_dict))
        entries: list[tuple[str, int | None, str | None]] = []
        for p in paths:
            entries.extend(read_user_dict(p))
        return entries

    def _load(self) -> Any:
        with self._lock:
            if self._cut is not None:
                return self._cut
            entries = self._dict_entries()
            hmm = self.config.hmm
            if self.backend_name == "rjieba":
                impl = _rjieba_class()()
                for word, freq, tag in entries:
                    impl.add_word(word, freq if freq is not None else impl.suggest_freq(word), tag)

                def cut(text: str) -> list[str]:
                    return impl.cut(text, hmm)

                self._spans = lambda text: impl.tokenize(text, "default", hmm)
            else:
                logging.getLogger("jieba").setLevel(logging.WARNING)
                import jieba

                jieba.setLogLevel(logging.WARNING)
                impl = jieba.Tokenizer()
                impl.initialize()
                for word, freq, tag in entries:
                    impl.add_word(word, freq, tag)

                def cut(text: str) -> list[str]:
                    return impl.lcut(text, HMM=hmm)
            self._impl = impl
            self._cut = cut
            return cut

    def warm_up(self) -> Segmenter:
        """Load the dictionaries now (otherwise the first cut does it). Returns self."""
        self._load()
        return self

    # -- cutting -------------------------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """Words of ``text`` (already normalised); whitespace is dropped, protected tokens kept whole."""
        cut = self._cut or self._load()
        if not _has_protected(text):  # fast path: nothing to protect
            return [w for w in cut(text) if not w.isspace()]
        return [t.text for t in self.tokenize(text)]

    def tokenize(self, text: str) -> list[Token]:
        """Words of ``text`` with their character spans in ``text``."""
        cut = self._cut or self._load()
        if self._spans is not None and not _has_protected(text):  # fast path: nothing to protect
            return [Token(w, s, e) for w, s, e in self._spans(text) if not w.isspace()]
        out: list[Token] = []
        pos = 0
        for m in _PROTECTED.finditer(text):
            if m.start() > pos:
                self._cut_piece(cut, text, pos, m.start(), out)
            out.append(Token(m.group(), m.start(), m.end()))
            pos = m.end()
        if pos < len(text):
            self._cut_piece(cut, text, pos, len(text), out)
        return out

    def boundaries(self, text: str) -> set[int]:
        """Start and end offsets of the words of ``text`` (what phrase matching needs), computed fast."""
        cut = self._cut or self._load()
        if self._spans is not None and not _has_protected(text):  # the words tile the text: sum their lengths
            if not text:
                return set()
            return set(accumulate(map(len, cut(text)), initial=0)) if _scan is None else _scan.word_boundaries(cut(text))
        toks = self.tokenize(text)
        return {t.start for t in toks} | {t.end for t in toks}

    @staticmethod
    def _cut_piece(cut: Any, text: str, start: int, end: int, out: list[Token]) -> None:
        pos = start
        for word in cut(text[start:end]):
            n = len(word)
            if not word.isspace():
                out.append(Token(word, pos, pos + n))
            pos += n

    def cut_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """:meth:`cut` over many texts (lazily)."""
        for text in texts:
            yield self.cut(text)

    # -- spaCy -----------------------------------------------------------------------------------
    @property
    def nlp(self) -> Language:
        """A blank Chinese spaCy pipeline (no model download) whose Docs come from this segmenter."""
        if self._nlp is None:
            import spacy

            with self._lock:
                if self._nlp is None:
                    self._nlp = spacy.blank("zh")
        return self._nlp

    def doc(self, text: str) -> Doc:
        """A spaCy :class:`~spacy.tokens.Doc` of ``text`` built from our words, as spacy/lang/zh does.

        ``doc.text == text`` always holds, so character offsets of Spans are offsets into ``text``.

        Example:
            >>> Segmenter().doc("物流太slow了").text
            '物流太slow了'
        """
        from spacy.tokens import Doc

        tokens = self.tokenize(text)
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for tok in tokens:
            if tok.start > pos and words:  # whitespace between tokens becomes a trailing space
                gap = text[pos:tok.start]
                if gap == " ":
                    spaces[-1] = True
                else:
                    words.append(gap)
                    spaces.append(False)
            elif tok.start > pos:
                words.append(text[pos:tok.start])
                spaces.append(False)
            words.append(tok.text)
            spaces.append(False)
            pos = tok.end
        if pos < len(text):
            words.append(text[pos:])
            spaces.append(False)
        return Doc(self.nlp.vocab, words=words, spaces=spaces)


# -- phrase matching over segmented text ---------------------------------------------------------
_WILDCARD = "*"
_PARTICLE_CHARS = "了的啊吧呀哦呢啦嘛咯喔"  # a one-character phrase may be glued to these (咸了, 好的)
_PARTICLES = set(_PARTICLE_CHARS)
# a wildcard gap stays inside one clause and never skips a negation or a turn (性价比不高 is not 性价比*高)
_WILDCARD_CLASS = r"[^，。！？；、,.!?;~～\n\s不没沒无無非未别別但却卻可唔冇]{0,6}?"


_new_match = tuple.__new__  # builds a PhraseMatch without the NamedTuple constructor's overhead (hot loop)


class PhraseMatch(NamedTuple):
    """A phrase found in a text: half-open span, the phrase as written, and the payloads attached to it."""

    start: int
    end: int
    phrase: str
    payloads: tuple[Any, ...]


class PhraseMatcher:
    """Leftmost-longest dictionary matching of phrases (one Aho-Corasick pass), checked against word boundaries.

    A match must respect the segmentation where that matters: a one-character phrase must be a whole
    word (so 香 does not fire inside 香港), a two-character phrase must start or end on a word boundary,
    and longer phrases match anywhere. ``*`` inside a phrase matches up to 6 characters of one clause,
    never across a negator or a contrast word.
    ASCII is matched case-insensitively. The payloads of a phrase are a tuple of what was attached to it,
    or what ``combine`` makes of that tuple (done once per phrase, not per match).

    Example:
        >>> m = PhraseMatcher({"物流": "logistics", "慢": "neg"})
        >>> [(x.phrase, x.start) for x in m.find("物流太慢了", boundaries={0, 2, 3, 4, 5})]
        [('物流', 0), ('慢', 3)]
    """

    def __init__(self, phrases: dict[str, Any] | Iterable[tuple[str, Any]], *,
                 combine: Callable[[tuple[Any, ...]], Any] | None = None) -> None:
        items = phrases.items() if isinstance(phrases, dict) else phrases
        table: dict[str, list[Any]] = {}
        wild: dict[str, list[Any]] = {}
        for phrase, payload in items:
            key = phrase.strip().lower()
            if not key:
                continue
            (wild if _WILDCARD in key else table).setdefault(key, []).append(payload)
        merge = combine or tuple
        self._table = {k: merge(tuple(v)) for k, v in table.items()}
        self._payloads = list(self._table.values())  # the candidates name phrases by their position here
        # every occurrence of every plain phrase, overlaps included, in one pass in C: voc._phrases where it
        # is built (one hash probe per step), else an Aho-Corasick automaton
        self._compiled: Any = None
        self._automaton: Any = None
        if self._table and _phrases is not None and max(map(len, self._table)) <= _phrases.MAX_LENGTH:
            self._compiled = _phrases.PhraseTable(list(self._table))
        elif self._table:
            import ahocorasick

            self._automaton = ahocorasick.Automaton()
            for k, key in enumerate(self._table):
                self._automaton.add_word(key, (len(key), k))
            self._automaton.make_automaton()
        # all wildcard phrases in one regex (one scan per text); the group name says which phrase matched
        wild_items = sorted(wild.items(), key=lambda kv: -len(kv[0].replace(_WILDCARD, "")))
        self._wild = [(k, merge(tuple(v))) for k, v in wild_items]
        firsts = "".join(sorted({re.escape(k[0]) for k, _ in wild_items}))
        self._wild_rx = re.compile(f"(?=[{firsts}])(?:" + "|".join(  # the lookahead skips hopeless positions fast
            f"(?P<w{i}>" + _WILDCARD_CLASS.join(re.escape(part) for part in k.split(_WILDCARD)) + ")"
            for i, (k, _) in enumerate(wild_items)) + ")") if wild_items else None
        # where a wildcard phrase can start: its first literal part (one Aho-Corasick pass finds them all)
        self._wild_heads: Any = None
        heads = {k.split(_WILDCARD)[0] for k, _ in wild_items}
        if wild_items and "" not in heads:
            import ahocorasick

            heads_automaton = ahocorasick.Automaton()
            for head in heads:
                heads_automaton.add_word(head, len(head))
            heads_automaton.make_automaton()
            self._wild_heads = heads_automaton

    def __len__(self) -> int:
        return len(self._table) + len(self._wild)

    def find(self, text: str, boundaries: set[int] | None = None) -> list[PhraseMatch]:
        """All non-overlapping matches, leftmost-longest; ``boundaries`` are word start/end offsets."""
        low = text.lower()
        if len(low) != len(text):  # rare: lower-casing changed the length; match as written
            low = text
        n = len(low)
        out: list[PhraseMatch] = []
        wild_spans = self._find_wild(low, boundaries) if self._wild else []
        if self._compiled is not None and n:
            out = self._compiled.matches(low, text, boundaries, self._payloads, _PARTICLE_CHARS, _make_match)
        elif self._payloads and n:
            # candidates by start, longest first: (start, -length, phrase); the first aligned one at a free start wins
            found = sorted([(end + 1 - size, -size, k) for end, (size, k) in self._automaton.iter(low)])
            payloads = self._payloads
            pos = 0
            append = out.append
            for i, neg, k in found:
                if i < pos:
                    continue
                j = i - neg
                if boundaries is not None and neg > -3:
                    if neg == -2:
                        if i not in boundaries and j not in boundaries:
                            continue
                    elif i not in boundaries or (j not in boundaries and low[j:j + 1] not in _PARTICLES):
                        continue
                append(_new_match(PhraseMatch, (i, j, text[i:j], payloads[k])))
                pos = j
        if wild_spans:  # a wildcard match wins over the shorter plain matches it overlaps
            chosen: list[PhraseMatch] = []
            reach = -1
            for w in sorted(wild_spans, key=lambda m: (m.start, m.start - m.end)):
                if w.start >= reach:  # sorted by start: only the last chosen one can overlap
                    chosen.append(w)
                    reach = w.end
            kept = []
            for m in out:
                size = m.end - m.start
                for w in chosen:
                    if w.start < m.end and m.start < w.end and w.end - w.start >= size:
                        break
                else:
                    kept.append(m)
            for w in list(chosen):
                for m in kept:
                    if w.start < m.end and m.start < w.end:
                        chosen.remove(w)
                        break
            out = sorted(kept + chosen, key=_start)
        return out

    def _find_wild(self, low: str, boundaries: set[int] | None) -> list[PhraseMatch]:
        found = []
        rx = self._wild_rx
        assert rx is not None
        if self._wild_heads is not None:
            # the regex anchored at each possible start, in order, as finditer would scan (most texts: none)
            starts = sorted({end + 1 - size for end, size in self._wild_heads.iter(low)})
            matches = []
            reach = 0
            for pos in starts:
                if pos >= reach and (m := rx.match(low, pos)) is not None:
                    matches.append(m)
                    reach = m.end()
        else:
            matches = list(rx.finditer(low))
        for m in matches:
            if _aligned(m.start(), m.end(), boundaries):
                phrase, payloads = self._wild[int(m.lastgroup[1:])]  # type: ignore[index]
                found.append(PhraseMatch(m.start(), m.end(), phrase, payloads))
        return found


def _make_match(fields: tuple[int, int, str, tuple[Any, ...]]) -> PhraseMatch:
    return _new_match(PhraseMatch, fields)


def _start(m: PhraseMatch) -> int:
    return m.start


def _aligned(i: int, j: int, boundaries: set[int] | None) -> bool:
    if boundaries is None or j - i >= 3:
        return True
    if j - i == 2:
        return i in boundaries or j in boundaries
    return i in boundaries and j in boundaries
