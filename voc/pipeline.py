"""The pipeline: the only place that knows the order of the stages.

responses -> :class:`~voc.normalise.Normaliser` -> :class:`~voc.segment.Segmenter` ->
:class:`~voc.sentiment.SentimentAnalyzer` clauses -> :class:`~voc.themes.ThemeTagger` mentions (plus a
trained theme model's) -> per-theme sentiment -> :class:`~voc.results.TagResult` (and, for frames, the
``voc tag`` columns of :mod:`voc.results`). Process pools live in :mod:`voc._parallel`; ``analyse()``
(tag + drivers + report) in :mod:`voc.analysis`.

A :class:`Pipeline` holds its own converter, segmenter, lexicons and models, built lazily on first use and
shared by threads; two pipelines with different settings can live in one process.

Example:
    >>> r = Pipeline().tag("物流很快，但是客服态度很差")
    >>> r.themes, r.theme_sentiment["logistics"], r.theme_sentiment["service"], r.sentiment
    (('logistics', 'service'), 'positive', 'negative', 'negative')
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from voc import _parallel, schema
from voc._parallel import GC_THRESHOLDS
from voc.codeframe import Codeframe, load_codeframe
from voc.config import Config
from voc.errors import ConfigError
from voc.normalise import Normalised, Normaliser, normalise_frame
from voc.results import Mention, TagResult, evidence_text, new_mention, results_to_frame, rows_to_frame
from voc.segment import Segmenter
from voc.sentiment import Clause, SentimentAnalyzer
from voc.themes import RawMention, ThemeTagger

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GC_THRESHOLDS", "Mention", "Pipeline", "TagResult", "segment_texts"]

STREAM_CACHE_CHARS = 30  #: tag_frames remembers the results of texts up to this long across chunks ...
STREAM_CACHE_SIZE = 200_000  #: ... this many of them at most (a few tens of MB)


class Stages(NamedTuple):
    """The loaded stages of a pipeline, in the order a text goes through them."""

    normaliser: Normaliser
    segmenter: Segmenter
    analyzer: SentimentAnalyzer
    tagger: ThemeTagger
    theme_model: Any  #: a trained theme model (``voc train``) or None


class _Prepared(NamedTuple):
    """A text after normalising, clause splitting and finding its theme mentions."""

    text: str
    norm: Normalised
    clauses: list[Clause]
    mentions: list[RawMention]
    truncated: bool


class Scored(NamedTuple):
    """Everything the pipeline knows of one text before it becomes a result or output cells."""

    text: str
    norm: Normalised
    doc_score: float  #: overall sentiment score in [-1, 1]
    mentions: list[RawMention]
    theme_scores: dict[str, float]  #: sentiment score per mentioned theme
    truncated: bool  #: only the first ``Config.max_text_chars`` characters were tagged
    probs: Any  #: the sentiment model's (positive, negative, neutral) probabilities, or None


class _Job(NamedTuple):
    """A chunk of a stream in flight: the frame, its texts' indexes, what the workers tag, what is known."""

    df: pd.DataFrame
    positions: list[int]  #: each row's index among the distinct texts
    todo: list[str]
    known: list[Any]
    futures: list[Future[Any]]


class Pipeline:
    """Normalise, segment and tag texts with one configuration.

    Args:
        config: settings; defaults when None.
        codeframe: a Codeframe or path (overrides ``config.codeframe``).
        model_dir: a directory written by ``voc train`` (overrides ``config.model_dir``).
        sentiment_model: "default" (the shipped model, when installed), None (lexicon only) or a model.
    """

    def __init__(self, config: Config | None = None, *, codeframe: Codeframe | str | Path | None = None,
                 model_dir: str | Path | None = None, sentiment_model: Any = "default") -> None:
        self.config = config or Config()
        self.codeframe = codeframe if codeframe is not None else self.config.codeframe
        self.model_dir = Path(model_dir) if model_dir is not None else self.config.model_dir
        self.sentiment_model = sentiment_model
        self._lock = threading.Lock()
        self._parts: Stages | None = None
        self._workers: tuple[Any, int] | None = None  # (process pool, size) from start_workers()

    # -- set-up ----------------------------------------------------------------------------------------
    def _load(self) -> Stages:
        if self._parts is not None:
            return self._parts
        with self._lock:
            if self._parts is not None:
                return self._parts
            normaliser = Normaliser(self.config)
            def convert(phrase: str) -> str:  # phrases go through the same normalisation as texts
                return normaliser.normalise(phrase).text

            frame = self.codeframe if isinstance(self.codeframe, Codeframe) else load_codeframe(self.codeframe)
            theme_model: Any = None
            sent_model: Any = None
            if self.model_dir is not None:
                from voc.models.store import load_model_dir

                theme_model, sent_model = load_model_dir(self.model_dir)
            if sent_model is None and self.sentiment_model == "default":
                from voc.models.store import load_default_sentiment_model

                sent_model = load_default_sentiment_model()
            elif sent_model is None and self.sentiment_model not in (None, "default"):
                sent_model = self.sentiment_model
            cfg = self.config
            analyzer = SentimentAnalyzer(cfg, model=sent_model, convert=convert, model_weight=cfg.model_weight,
                                         clause_model_weight=cfg.clause_model_weight)
            self._parts = Stages(normaliser, Segmenter(cfg), analyzer, ThemeTagger(frame, convert=convert),
                                 theme_model)
            return self._parts

    def warm_up(self) -> Pipeline:
        """Load dictionaries, lexicons and models now rather than on the first text. Returns self."""
        self.tag("物流很快")
        return self

    def start_workers(self, workers: int = 0) -> Pipeline:
        """Start ``workers`` tagging processes now (0: one per core) and return self.

        This pipeline loads and warms up first (dictionaries, lexicons, model tables), so the workers start
        ready and share those pages with the caller. Until :meth:`close`, every ``tag_many``/``tag_frame``/
        ``tag_frames`` call with ``workers`` other than 1 uses them, whatever the number of texts. Also a
        context manager.

        Example:
            >>> with Pipeline().start_workers(2) as pipe:  # doctest: +SKIP
            ...     tagged = pipe.tag_frame(df, text="comment", workers=2)
        """
        size = _parallel.n_workers(workers)
        if size <= 1 or self._workers is not None:
            return self
        pool = _parallel.start_pool(self, size)  # forks outside self._lock: a child must not inherit it held
        _parallel.start_all(pool, size)  # start every process now (a fork pool starts them all at once)
        with self._lock:
            extra = pool if self._workers is not None else None  # another thread was first
            if extra is None:
                self._workers = (pool, size)
        if extra is not None:
            extra.shutdown()
        return self

    def close(self) -> None:
        """Stop the worker processes of :meth:`start_workers` (if any)."""
        with self._lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers[0].shutdown(cancel_futures=True)

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _shared_pool(self, n_workers: int) -> Any:
        """The started worker pool when ``n_workers`` asks for several processes, else None."""
        workers = self._workers
        return workers[0] if workers is not None and n_workers > 1 else None

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """Top-level theme ids: the codeframe's, then any that only a trained model knows."""
        parts = self._load()
        ids = list(parts.tagger.frame.theme_ids)
        if parts.theme_model is not None:
            ids += [c.partition(".")[0] for c in parts.theme_model.classes_ if c.partition(".")[0] not in ids]
        return tuple(dict.fromkeys(ids))

    # -- tagging ---------------------------------------------------------------------------------------
    def tag(self, text: str | None) -> TagResult:
        """Themes, sentiment and evidence of one text.

        Example:
            >>> Pipeline().tag("送貨好慢，等咗三日").themes
            ('logistics',)
        """
        if isinstance(text, (list, tuple, set, frozenset, dict, Iterator)):
            raise TypeError(f"text must be one str, not a {type(text).__name__}: use tag_many for several texts")
        return self.tag_many([text])[0]

    def tag_many(self, texts: Iterable[str | None], *, workers: int = 1) -> list[TagResult]:
        """:meth:`tag` over many texts; repeated texts are tagged once.

        Args:
            workers: processes to use; 0 means one per core. Worth it from a few thousand distinct texts.
        """
        if isinstance(texts, str):
            raise TypeError("texts must be an iterable of texts, not one str (use tag for a single text)")
        distinct, index = _parallel.distinct(texts)
        results = self._map(distinct, workers, _work)
        return [results[i] for i in index]

    def _map(self, distinct: list[str], workers: int, work: _parallel.Work) -> list[Any]:
        """``work(pipeline, texts)`` (a module-level function) over ``distinct``, in order."""
        size = _parallel.n_workers(workers)
        shared = self._shared_pool(size)
        if shared is not None and distinct:
            return _parallel.gather(_parallel.submit(shared, distinct, self._workers_n(size), work))
        if size > 1 and len(distinct) >= _parallel.PARALLEL_MIN_TEXTS:
            return _parallel.run_in_pool(self, distinct, size, work)
        return work(self, distinct)

    def _workers_n(self, n_workers: int) -> int:
        workers = self._workers
        return workers[1] if workers is not None else n_workers

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_lock"] = None
        state["_parts"] = None
        state["_workers"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _tag_unique(self, texts: Sequence[str]) -> list[TagResult]:
        analyzer = self._load().analyzer
        return [self._result(scored, analyzer) for scored in self._scored(texts)]

    def _tag_cells(self, texts: Sequence[str]) -> list[tuple[Any, ...]]:
        """The wide ``voc tag`` cells of each text (what :func:`voc.results.row_cells` gives for its
        TagResult), built straight from the scores: the workers' path, where no TagResult is needed."""
        label = self._load().analyzer.label
        ids = self.theme_ids
        out = []
        for _, norm, doc_score, mentions, theme_scores, _, probs in self._scored(texts):
            themes = dict.fromkeys(m.theme for m in mentions)
            theme_label = {t: label(theme_scores.get(t, doc_score)) for t in themes}
            evidence = []
            for m in mentions:
                s, e = norm.to_original(m.start, m.end)
                evidence.append(evidence_text(m.theme, m.subtheme, norm.original[s:e], s, e))
            out.append((";".join(themes), ";".join(dict.fromkeys(f"{m.theme}.{m.subtheme}" for m in mentions)),
                        label(doc_score, probs), round(doc_score, 4), "|".join(evidence),
                        *(theme_label.get(t, "") for t in ids)))
        return out

    def _scored(self, texts: Sequence[str]) -> Iterator[Scored]:
        """The scores of each text (see :class:`Scored`)."""
        normaliser, segmenter, analyzer, tagger, theme_model = self._load()
        cfg = self.config
        limit = cfg.max_text_chars
        prepared = []
        for text in texts:
            truncated = len(text) > limit
            norm = normaliser.normalise(text[:limit] if truncated else text)
            bounds = segmenter.boundaries(norm.text)
            clauses = analyzer.clauses(norm.text, bounds)
            mentions = tagger.find(norm.text, bounds, [(c.start, c.end) for c in clauses], [c.hits > 0 for c in clauses])
            prepared.append(_Prepared(text, norm, clauses, mentions, truncated))
        if theme_model is not None:
            prepared = self._add_model_mentions(prepared, theme_model)
        # model scores: whole texts, then the clauses that carry theme mentions
        doc_probs = analyzer.model_probs([p[1].text for p in prepared])
        clause_keys: dict[str, int] = {}
        per_doc_theme_clauses: list[list[tuple[str, list[Clause], int]]] = []
        for _text, norm, clauses, mentions, _ in prepared:
            by_theme: dict[str, list[Clause]] = {}
            for m in mentions:
                c = _clause_of(clauses, m.start)
                if c is not None and c not in by_theme.setdefault(m.theme, []):
                    by_theme[m.theme].append(c)
            # the clauses of each theme, and the index of their joined text among the texts the model scores
            per_doc_theme_clauses.append([
                (theme, cl, clause_keys.setdefault("，".join(norm.text[c.start:c.end] for c in cl), len(clause_keys)))
                for theme, cl in by_theme.items()])
        clause_model = analyzer.model_scores(list(clause_keys))
        for (text, norm, clauses, mentions, truncated), theme_clauses, probs in zip(prepared, per_doc_theme_clauses,
                                                                               doc_probs):
            lex, hits = analyzer.lexicon_score(clauses)
            # the model reads whole reviews well but short slang ("yyds", "没毛病") badly: trust the lexicon more there
            short = len(norm.text) < cfg.short_text_chars
            doc_score = analyzer.blend(lex, hits, None if probs is None else probs[0] - probs[1],
                                       weight=analyzer.clause_model_weight if short else None)
            theme_scores: dict[str, float] = {}
            for theme, cl, key in theme_clauses:
                tlex, thits = analyzer.lexicon_score(cl)
                cm = clause_model[key]
                if thits:
                    theme_scores[theme] = analyzer.blend(tlex, thits, cm, weight=analyzer.clause_model_weight)
                elif cm is not None:
                    share = cfg.theme_clause_model_share
                    theme_scores[theme] = share * cm + (1 - share) * doc_score
                else:
                    theme_scores[theme] = doc_score
            yield Scored(text, norm, doc_score, mentions, theme_scores, truncated, None if short and hits else probs)

    def _add_model_mentions(self, prepared: list[_Prepared], model: Any) -> list[_Prepared]:
        probs = model.predict_proba([p[1].text for p in prepared])
        classes = list(model.classes_)
        thresholds = getattr(model, "thresholds_", None)
        out = []
        for (text, norm, clauses, mentions, truncated), row in zip(prepared, probs):
            have = {m.theme for m in mentions}
            added = list(mentions)
            for k, label in enumerate(classes):
                theme, _, sub = label.partition(".")
                thr = float(thresholds[k]) if thresholds is not None else self.config.theme_model_threshold
                if theme in have or row[k] < thr or not clauses:
                    continue
                best = max(clauses, key=lambda c: c.end - c.start)
                added.append(RawMention(theme, sub or "other", norm.text[best.start:best.end], best.start, best.end,
                                        float(row[k]), "model"))
                have.add(theme)
            out.append(_Prepared(text, norm, clauses, sorted(added, key=lambda m: m.start), truncated))
        return out

    @staticmethod
    def _result(scored: Scored, analyzer: SentimentAnalyzer) -> TagResult:
        text, norm, doc_score, mentions, theme_scores, truncated, probs = scored
        label = analyzer.label
        themes = tuple(dict.fromkeys(m.theme for m in mentions))
        scores = {t: theme_scores.get(t, doc_score) for t in themes}
        theme_label = {t: label(v) for t, v in scores.items()}
        theme_round = {t: round(v, 4) for t, v in scores.items()}
        original = norm.original
        final: list[Mention] = []
        for m in mentions:
            s, e = norm.to_original(m.start, m.end)
            final.append(new_mention(Mention, (m.theme, m.subtheme, theme_label[m.theme], theme_round[m.theme],
                                                m.confidence, original[s:e], s, e, m.source)))
        return TagResult(
            text=text, normalised=norm.text, sentiment=label(doc_score, probs), score=round(doc_score, 4),
            themes=themes, subthemes=tuple(dict.fromkeys(f"{m.theme}.{m.subtheme}" for m in mentions)),
            theme_sentiment=theme_label, theme_scores=theme_round, mentions=tuple(final), truncated=truncated,
        )

    # -- frames ----------------------------------------------------------------------------------------
    def tag_frame(self, df: pd.DataFrame, *, text: str, format: str = "wide", workers: int = 1,
                  progress: Callable[[int], None] | None = None, batch_size: int = 20_000) -> pd.DataFrame:
        """Add the ``voc tag`` columns to a copy of ``df`` (``format="long"``: one row per mention).

        Example:
            >>> import pandas as pd
            >>> df = pd.DataFrame({"comment": ["物流太慢了", "性价比很高"]})
            >>> Pipeline().tag_frame(df, text="comment")["themes"].tolist()
            ['logistics', 'price']
        """
        _check_frame(df, "df")
        schema.require_columns(df, [text], option="text=")
        if format not in ("wide", "long"):
            raise ConfigError(f"format must be 'wide' or 'long', not {format!r}")
        values = df[text].tolist()
        if format == "long":
            results: list[TagResult] = []
            for start in range(0, len(values), batch_size):
                chunk = values[start:start + batch_size]
                results.extend(self.tag_many(chunk, workers=workers))
                if progress is not None:
                    progress(len(chunk))
            return results_to_frame(df, results, theme_ids=self.theme_ids, format=format)
        # wide: workers send back the finished cells of each distinct text, not TagResult objects
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), batch_size):
            chunk = values[start:start + batch_size]
            distinct, index = _parallel.distinct(chunk)
            cells = self._map(distinct, workers, _work_rows)
            rows.extend(cells[i] for i in index)
            if progress is not None:
                progress(len(chunk))
        return rows_to_frame(df, rows, theme_ids=self.theme_ids)

    def tag_frames(self, frames: Iterable[pd.DataFrame], *, text: str | Callable[[pd.DataFrame], str],
                   format: str = "wide", workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> Iterator[pd.DataFrame]:
        """:meth:`tag_frame` over a stream of frames (say, the chunks of a big file), lazily and in order.

        ``text`` is the text column, or a function giving it for each frame. With several workers one
        pool serves the whole stream, and the workers tag one frame while the caller writes the previous
        one and reads the next.

        Example:
            >>> import pandas as pd
            >>> chunks = [pd.DataFrame({"c": ["物流太慢了"]}), pd.DataFrame({"c": ["性价比很高"]})]
            >>> [f["themes"].tolist() for f in Pipeline().tag_frames(chunks, text="c")]
            [['logistics'], ['price']]
        """
        if format not in ("wide", "long"):
            raise ConfigError(f"format must be 'wide' or 'long', not {format!r}")
        size = _parallel.n_workers(workers)
        shared = self._shared_pool(size)
        pool: Any = shared
        pending: _Job | None = None
        seen: dict[str, tuple[Any, ...]] = {}  # short answers repeat across chunks ("好评", "没有"): tag them once
        try:
            for df in frames:
                col = text(df) if callable(text) else text
                _check_frame(df, "frames")
                schema.require_columns(df, [col], option="text=")
                if format == "long" or size <= 1:
                    yield self.tag_frame(df, text=col, format=format, workers=1, progress=progress)
                    continue
                distinct, index = _parallel.distinct(df[col].tolist())
                known = [seen.get(t) for t in distinct]
                todo = [t for t, k in zip(distinct, known) if k is None]
                if pool is None and len(todo) < _parallel.PARALLEL_MIN_TEXTS:  # small: no pool (yet)
                    job = _Job(df, index, todo, known, [_parallel.done(_work_rows(self, todo))])
                    yield self._finish(job, progress, seen)
                    continue
                pool = pool or _parallel.start_pool(self, size)
                job = _Job(df, index, todo, known, _parallel.submit(pool, todo, self._workers_n(size), _work_rows))
                if pending is not None:
                    yield self._finish(pending, progress, seen)
                pending = job
            if pending is not None:
                yield self._finish(pending, progress, seen)
        finally:
            if pool is not None and pool is not shared:
                pool.shutdown(cancel_futures=True)

    def _finish(self, job: _Job, progress: Callable[[int], None] | None, seen: dict[str, tuple[Any, ...]]) -> pd.DataFrame:
        """The tagged frame of a submitted job; remembers the cells of its short texts in ``seen``."""
        df, index, todo, known, futures = job
        new = _parallel.gather(futures)  # the cells of ``todo``, in order
        for t, c in zip(todo, new):
            if len(t) <= STREAM_CACHE_CHARS and len(seen) < STREAM_CACHE_SIZE:
                seen[t] = c
        fresh = iter(new)
        cells = [k if k is not None else next(fresh) for k in known]
        if progress is not None:
            progress(len(df))
        return rows_to_frame(df, [cells[i] for i in index], theme_ids=self.theme_ids)


def _check_frame(df: Any, name: str) -> None:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(df).__name__}"
                        + (" (use tag_many for a list of texts)" if isinstance(df, (list, tuple)) else ""))


def _clause_of(clauses: Sequence[Clause], pos: int) -> Clause | None:
    for c in clauses:
        if c.start <= pos < c.end:
            return c
    return None


def segment_texts(df: pd.DataFrame, *, text: str, config: Config | None = None,
                  normaliser: Normaliser | None = None, segmenter: Segmenter | None = None) -> pd.DataFrame:
    """``df`` plus ``text_normalised`` and ``tokens`` (space-joined words; the ``voc segment`` output)."""
    out = normalise_frame(df, text=text, config=config, normaliser=normaliser)
    seg = segmenter or Segmenter(config)
    tokens = [" ".join(w.replace(" ", "_") for w in seg.cut(t)) for t in out[schema.TEXT_NORMALISED].tolist()]
    return out.assign(**{schema.TOKENS: tokens})


def _work(pipe: Pipeline, texts: list[str]) -> list[TagResult]:
    return pipe._tag_unique(texts)


def _work_rows(pipe: Pipeline, texts: list[str]) -> list[tuple[Any, ...]]:
    return pipe._tag_cells(texts)
