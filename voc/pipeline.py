"""The pipeline: the only place that knows the order of the stages.

responses -> :class:`~voc.normalise.Normaliser` -> :class:`~voc.segment.Segmenter` ->
:class:`~voc.sentiment.SentimentAnalyzer` clauses -> :class:`~voc.themes.ThemeTagger` mentions ->
per-theme sentiment -> :class:`TagResult` (and, for frames, the ``voc tag`` columns).

A :class:`Pipeline` holds its own converter, segmenter, lexicons and models, built lazily on first use and
shared by threads; two pipelines with different settings can live in one process.

Example:
    >>> r = Pipeline().tag("物流很快，但是客服态度很差")
    >>> r.themes, r.theme_sentiment["logistics"], r.theme_sentiment["service"], r.sentiment
    (('logistics', 'service'), 'positive', 'negative', 'negative')
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from voc import schema
from voc.codeframe import Codeframe, load_codeframe
from voc.config import Config
from voc.errors import ConfigError
from voc.normalise import Normalised, Normaliser, _as_text
from voc.segment import Segmenter
from voc.sentiment import Clause, SentimentAnalyzer
from voc.themes import RawMention, ThemeTagger

if TYPE_CHECKING:
    import pandas as pd

MAX_TEXT_CHARS = 20_000  #: longer texts are tagged on their first MAX_TEXT_CHARS characters (noted in the result)
MODEL_MANIFEST = "voc-model.json"
SHORT_TEXT_CHARS = 8  #: texts shorter than this lean on the lexicon when it has a sentiment word
GC_THRESHOLDS = (100_000, 50, 100)  #: cyclic-GC thresholds in voc's own processes (tagging makes no cycles)
STREAM_CACHE_CHARS = 30  #: tag_frames remembers the results of texts up to this long across chunks ...
STREAM_CACHE_SIZE = 200_000  #: ... this many of them at most (a few tens of MB)
PARALLEL_MIN_TEXTS = 4000  #: below this many distinct texts, one process is faster than starting workers
_worker_pipeline: list[Pipeline] = []  # set in worker processes only (see _init_worker)
_Work = Callable[["Pipeline", list[str]], list[Any]]  # what a worker runs over a part of the texts


class Mention(NamedTuple):
    """One theme mention: what, how the customer feels, and where (offsets into the ORIGINAL text).

    Immutable (a named tuple: cheap to build and to pickle, which matters at a million rows).
    """

    theme: str
    subtheme: str
    sentiment: str
    score: float
    confidence: float
    span: str
    start: int
    end: int
    source: str = "rules"

    @property
    def code(self) -> str:
        """``theme.subtheme``."""
        return f"{self.theme}.{self.subtheme}"

    def evidence(self) -> str:
        """``theme.subtheme:span@start-end`` as in the ``evidence`` column."""
        return _evidence(self.theme, self.subtheme, self.span, self.start, self.end)


def _evidence(theme: str, subtheme: str, span: str, start: int, end: int) -> str:
    """One mention in the ``evidence`` column: ``theme.subtheme:span@start-end`` ('|' in the span -> '/')."""
    span = span.replace("|", "/").replace("\n", " ")
    return f"{theme}.{subtheme}:{span}@{start}-{end}"


_new_mention = tuple.__new__  # builds a Mention without the NamedTuple constructor's overhead (hot loop)


@dataclass(frozen=True)
class TagResult:
    """Themes and sentiment of one text."""

    text: str
    normalised: str
    sentiment: str
    score: float
    themes: tuple[str, ...] = ()
    subthemes: tuple[str, ...] = ()
    theme_sentiment: dict[str, str] = field(default_factory=dict)
    theme_scores: dict[str, float] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()
    truncated: bool = False

    def __reduce__(self) -> tuple[Any, ...]:  # compact pickles: results cross process boundaries in bulk
        return (TagResult, (self.text, self.normalised, self.sentiment, self.score, self.themes, self.subthemes,
                            self.theme_sentiment, self.theme_scores, self.mentions, self.truncated))

    @property
    def evidence(self) -> str:
        """All mentions as ``a.b:span@s-e|...`` (the ``evidence`` column)."""
        return "|".join(m.evidence() for m in self.mentions)


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
        self._parts: tuple[Normaliser, Segmenter, SentimentAnalyzer, ThemeTagger, Any] | None = None
        self._workers: tuple[Any, int] | None = None  # (process pool, size) from start_workers()

    # -- set-up ----------------------------------------------------------------------------------------
    def _load(self) -> tuple[Normaliser, Segmenter, SentimentAnalyzer, ThemeTagger, Any]:
        if self._parts is not None:
            return self._parts
        with self._lock:
            if self._parts is not None:
                return self._parts
            normaliser = Normaliser(self.config)
            def convert(phrase: str) -> str:  # phrases go through the same normalisation as texts
                return normaliser.normalise(phrase).text

            frame = self.codeframe if isinstance(self.codeframe, Codeframe) else load_codeframe(self.codeframe)
            theme_model, sent_model = None, None
            if self.model_dir is not None:
                theme_model, sent_model = load_model_dir(self.model_dir)
            if sent_model is None and self.sentiment_model == "default":
                from voc.models.store import load_default_sentiment_model

                sent_model = load_default_sentiment_model()
            elif sent_model is None and self.sentiment_model not in (None, "default"):
                sent_model = self.sentiment_model
            segmenter = Segmenter(self.config)
            analyzer = SentimentAnalyzer(self.config, model=sent_model, convert=convert)
            tagger = ThemeTagger(frame, convert=convert)
            self._parts = (normaliser, segmenter, analyzer, tagger, theme_model)
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
        n_workers = (os.cpu_count() or 1) if workers == 0 else workers
        if n_workers <= 1 or self._workers is not None:
            return self
        pool = self._pool(n_workers)  # forks outside self._lock: a child must not inherit it held
        for _ in range(n_workers):  # start every process now (a fork pool starts them all at once)
            pool.submit(_ready)
        with self._lock:
            extra = pool if self._workers is not None else None  # another thread was first
            if extra is None:
                self._workers = (pool, n_workers)
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
        ids = list(parts[3].frame.theme_ids)
        if parts[4] is not None:
            ids += [c.partition(".")[0] for c in parts[4].classes_ if c.partition(".")[0] not in ids]
        return tuple(dict.fromkeys(ids))

    # -- tagging ---------------------------------------------------------------------------------------
    def tag(self, text: str | None) -> TagResult:
        """Themes, sentiment and evidence of one text.

        Example:
            >>> Pipeline().tag("送貨好慢，等咗三日").themes
            ('logistics',)
        """
        return self.tag_many([text])[0]

    def tag_many(self, texts: Iterable[str | None], *, workers: int = 1) -> list[TagResult]:
        """:meth:`tag` over many texts; repeated texts are tagged once.

        Args:
            workers: processes to use; 0 means one per core. Worth it from a few thousand distinct texts.
        """
        distinct, index = _distinct(texts)
        results = self._map(distinct, workers, _work)
        return [results[i] for i in index]

    def _map(self, distinct: list[str], workers: int, work: _Work) -> list[Any]:
        """``work(pipeline, texts)`` (a module-level function) over ``distinct``, in order."""
        n_workers = (os.cpu_count() or 1) if workers == 0 else workers
        shared = self._shared_pool(n_workers)
        if shared is not None and distinct:
            return [x for future in _submit(shared, distinct, self._workers_n(n_workers), work)
                    for x in future.result()]
        if n_workers > 1 and len(distinct) >= PARALLEL_MIN_TEXTS:
            return self._tag_parallel(distinct, n_workers, work)
        return work(self, distinct)

    def _workers_n(self, n_workers: int) -> int:
        workers = self._workers
        return workers[1] if workers is not None else n_workers

    def _tag_parallel(self, texts: list[str], n_workers: int, work: _Work) -> list[Any]:
        pool = self._pool(n_workers)
        try:
            return [x for future in _submit(pool, texts, n_workers, work) for x in future.result()]
        finally:
            pool.shutdown(cancel_futures=True)

    def _pool(self, n_workers: int) -> Any:
        """A process pool whose workers hold this (loaded) pipeline."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # forked workers inherit the pipeline warm (segmenter, matchers, model tables built once, pages
        # shared): two workers warming up side by side would each redo it and slow the caller's reading
        self.warm_up()
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(n_workers, mp_context=mp.get_context(method), initializer=_init_worker,
                                   initargs=(self,))

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
        analyzer = self._load()[2]
        return [self._result(*scored, analyzer) for scored in self._scored(texts)]

    def _tag_cells(self, texts: Sequence[str]) -> list[tuple[Any, ...]]:
        """The wide ``voc tag`` cells of each text (what :func:`_row` gives for its TagResult), built
        straight from the scores: the workers' path, where no TagResult is needed."""
        label = self._load()[2].label
        ids = self.theme_ids
        out = []
        for text, norm, doc_score, mentions, theme_scores, _, probs in self._scored(texts):
            themes = dict.fromkeys(m.theme for m in mentions)
            theme_label = {t: label(theme_scores.get(t, doc_score)) for t in themes}
            evidence = []
            for m in mentions:
                s, e = norm.to_original(m.start, m.end)
                evidence.append(_evidence(m.theme, m.subtheme, norm.original[s:e], s, e))
            out.append((";".join(themes), ";".join(dict.fromkeys(f"{m.theme}.{m.subtheme}" for m in mentions)),
                        label(doc_score, probs), round(doc_score, 4), "|".join(evidence),
                        *(theme_label.get(t, "") for t in ids)))
        return out

    def _scored(self, texts: Sequence[str]) -> Iterator[tuple[str, Normalised, float, list[RawMention],
                                                              dict[str, float], bool, Any]]:
        """(text, normalised, score, mentions, theme scores, truncated, model probabilities) per text."""
        normaliser, segmenter, analyzer, tagger, theme_model = self._load()
        prepared = []
        for text in texts:
            truncated = len(text) > MAX_TEXT_CHARS
            norm = normaliser.normalise(text[:MAX_TEXT_CHARS] if truncated else text)
            bounds = segmenter.boundaries(norm.text)
            clauses = analyzer.clauses(norm.text, bounds)
            mentions = tagger.find(norm.text, bounds, [(c.start, c.end) for c in clauses], [c.hits > 0 for c in clauses])
            prepared.append((text, norm, clauses, mentions, truncated))
        if theme_model is not None:
            prepared = self._add_model_mentions(prepared, theme_model)
        # model scores: whole texts, then the clauses that carry theme mentions
        doc_probs = analyzer.model_probs([p[1].text for p in prepared])
        clause_keys: dict[str, int] = {}
        per_doc_theme_clauses: list[list[tuple[str, list[Clause], int]]] = []
        for text, norm, clauses, mentions, _ in prepared:
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
        for (text, norm, clauses, mentions, truncated), by_theme, probs in zip(prepared, per_doc_theme_clauses,
                                                                               doc_probs):
            lex, hits = analyzer.lexicon_score(clauses)
            # the model reads whole reviews well but short slang ("yyds", "没毛病") badly: trust the lexicon more there
            short = len(norm.text) < SHORT_TEXT_CHARS
            doc_score = analyzer.blend(lex, hits, None if probs is None else probs[0] - probs[1],
                                       weight=analyzer.clause_model_weight if short else None)
            theme_scores: dict[str, float] = {}
            for theme, cl, key in by_theme:
                tlex, thits = analyzer.lexicon_score(cl)
                cm = clause_model[key]
                if thits:
                    theme_scores[theme] = analyzer.blend(tlex, thits, cm, weight=analyzer.clause_model_weight)
                elif cm is not None:
                    theme_scores[theme] = 0.3 * cm + 0.7 * doc_score
                else:
                    theme_scores[theme] = doc_score
            yield text, norm, doc_score, mentions, theme_scores, truncated, None if short and hits else probs

    def _add_model_mentions(self, prepared: list[Any], model: Any) -> list[Any]:
        probs = model.predict_proba([p[1].text for p in prepared])
        classes = list(model.classes_)
        thresholds = getattr(model, "thresholds_", None)
        out = []
        for (text, norm, clauses, mentions, truncated), row in zip(prepared, probs):
            have = {m.theme for m in mentions}
            added = list(mentions)
            for k, label in enumerate(classes):
                theme, _, sub = label.partition(".")
                thr = float(thresholds[k]) if thresholds is not None else 0.5
                if theme in have or row[k] < thr or not clauses:
                    continue
                best = max(clauses, key=lambda c: c.end - c.start)
                added.append(RawMention(theme, sub or "other", norm.text[best.start:best.end], best.start, best.end,
                                        float(row[k]), "model"))
                have.add(theme)
            out.append((text, norm, clauses, sorted(added, key=lambda m: m.start), truncated))
        return out

    def _result(self, text: str, norm: Normalised, doc_score: float, mentions: list[RawMention],
                theme_scores: dict[str, float], truncated: bool, probs: tuple[float, float, float] | None,
                analyzer: SentimentAnalyzer) -> TagResult:
        label = analyzer.label
        themes = tuple(dict.fromkeys(m.theme for m in mentions))
        scores = {t: theme_scores.get(t, doc_score) for t in themes}
        theme_label = {t: label(v) for t, v in scores.items()}
        theme_round = {t: round(v, 4) for t, v in scores.items()}
        original = norm.original
        final: list[Mention] = []
        for m in mentions:
            s, e = norm.to_original(m.start, m.end)
            final.append(_new_mention(Mention, (m.theme, m.subtheme, theme_label[m.theme], theme_round[m.theme],
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
        schema.require_columns(df, [text], option="--text")
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
            distinct, index = _distinct(chunk)
            cells = self._map(distinct, workers, _work_rows)
            rows.extend(cells[i] for i in index)
            if progress is not None:
                progress(len(chunk))
        return _rows_to_frame(df, rows, theme_ids=self.theme_ids)

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
        n_workers = (os.cpu_count() or 1) if workers == 0 else workers
        shared = self._shared_pool(n_workers)
        pool: Any = shared
        pending: tuple[pd.DataFrame, list[int], list[str], list[Any], list[Any]] | None = None
        seen: dict[str, tuple[Any, ...]] = {}  # short answers repeat across chunks ("好评", "没有"): tag them once
        try:
            for df in frames:
                col = text(df) if callable(text) else text
                schema.require_columns(df, [col], option="--text")
                if format == "long" or n_workers <= 1:
                    yield self.tag_frame(df, text=col, format=format, workers=1, progress=progress)
                    continue
                distinct, index = _distinct(df[col].tolist())
                known = [seen.get(t) for t in distinct]
                todo = [t for t, k in zip(distinct, known) if k is None]
                if pool is None and len(todo) < PARALLEL_MIN_TEXTS:  # small: no pool (yet)
                    job = (df, index, todo, known, [_done(_work_rows(self, todo))])
                    yield self._finish(job, progress, seen)
                    continue
                pool = pool or self._pool(n_workers)
                job = (df, index, todo, known, _submit(pool, todo, self._workers_n(n_workers), _work_rows))
                if pending is not None:
                    yield self._finish(pending, progress, seen)
                pending = job
            if pending is not None:
                yield self._finish(pending, progress, seen)
        finally:
            if pool is not None and pool is not shared:
                pool.shutdown(cancel_futures=True)

    def _finish(self, job: tuple[pd.DataFrame, list[int], list[str], list[Any], list[Any]],
                progress: Callable[[int], None] | None, seen: dict[str, tuple[Any, ...]]) -> pd.DataFrame:
        """The tagged frame of a submitted job; remembers the cells of its short texts in ``seen``."""
        df, index, todo, known, futures = job
        new = [c for future in futures for c in future.result()]  # the cells of ``todo``, in order
        for t, c in zip(todo, new):
            if len(t) <= STREAM_CACHE_CHARS and len(seen) < STREAM_CACHE_SIZE:
                seen[t] = c
        fresh = iter(new)
        cells = [k if k is not None else next(fresh) for k in known]
        if progress is not None:
            progress(len(df))
        return _rows_to_frame(df, [cells[i] for i in index], theme_ids=self.theme_ids)


def _done(value: Any) -> Future[Any]:
    """A future that already holds ``value`` (work done in-process, finished like the pool's)."""
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def _submit(pool: Any, texts: list[str], n_workers: int, work: _Work) -> list[Any]:
    """Futures of ``work`` over ``texts`` in parts (several per worker, so that they finish together)."""
    size = max(500, -(-len(texts) // (n_workers * 4)))
    return [pool.submit(_in_worker, work, texts[i:i + size]) for i in range(0, len(texts), size)]


def results_to_frame(df: pd.DataFrame, results: Sequence[TagResult], *, theme_ids: Sequence[str],
                     format: str = "wide") -> pd.DataFrame:
    """The ``voc tag`` output columns for ``results`` (row-aligned with ``df``), added to a copy of ``df``."""
    if format == "long":
        rows = []
        ids = df[schema.RESPONSE_ID].tolist() if schema.RESPONSE_ID in df.columns else [str(i + 1) for i in range(len(df))]
        for rid, r in zip(ids, results):
            for m in r.mentions:
                rows.append({schema.RESPONSE_ID: rid, schema.THEME: m.theme, schema.SUBTHEME: m.subtheme,
                             schema.MENTION_SENTIMENT: m.sentiment, schema.MENTION_SCORE: m.score,
                             schema.CONFIDENCE: round(m.confidence, 3), schema.SPAN: m.span, schema.START: m.start,
                             schema.END: m.end, schema.SOURCE: m.source, schema.SENTIMENT: r.sentiment})
        cols = [schema.RESPONSE_ID, schema.THEME, schema.SUBTHEME, schema.MENTION_SENTIMENT, schema.MENTION_SCORE,
                schema.CONFIDENCE, schema.SPAN, schema.START, schema.END, schema.SOURCE, schema.SENTIMENT]
        import pandas as pd

        return pd.DataFrame(rows, columns=cols)
    return _rows_to_frame(df, [_row(r, theme_ids) for r in results], theme_ids=theme_ids)


def _row(r: TagResult, theme_ids: Sequence[str]) -> tuple[Any, ...]:
    """The wide ``voc tag`` cells of one result: themes, subthemes, sentiment, score, evidence, then
    the sentiment towards each of ``theme_ids`` ('' when not mentioned)."""
    ts = r.theme_sentiment
    return (";".join(r.themes), ";".join(r.subthemes), r.sentiment, r.score, r.evidence,
            *(ts.get(t, "") for t in theme_ids))


def _rows_to_frame(df: pd.DataFrame, rows: Sequence[tuple[Any, ...]], *, theme_ids: Sequence[str]) -> pd.DataFrame:
    """``df`` plus the wide ``voc tag`` columns from :func:`_row` cells (row-aligned with ``df``)."""
    columns = list(zip(*rows)) if rows else [()] * (5 + len(theme_ids))
    new: dict[str, Any] = {
        schema.THEMES: list(columns[0]),
        schema.SUBTHEMES: list(columns[1]),
        schema.SENTIMENT: list(columns[2]),
        schema.SENTIMENT_SCORE: list(columns[3]),
    }
    for k, t in enumerate(theme_ids):
        new[schema.theme_sentiment_column(t)] = list(columns[5 + k])
    new[schema.EVIDENCE] = list(columns[4])
    clash = [c for c in new if c in df.columns]
    base = df.drop(columns=clash) if clash else df
    return base.assign(**new)


def load_model_dir(path: str | Path) -> tuple[Any, Any]:
    """Load a ``voc train`` directory: (theme model or None, sentiment model or None).

    Raises:
        ConfigError: the directory is missing, has no manifest, or was written by an incompatible voc.
    """
    import json

    from voc.models.estimator import LinearTextModel

    p = Path(path)
    if not p.is_dir():
        raise ConfigError(f"model directory {p} not found (train one with: voc train LABELLED.csv -o {p})")
    manifest = p / MODEL_MANIFEST
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{p} is not a voc model directory: {MODEL_MANIFEST} is missing") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{manifest} is not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    if meta.get("format") != "voc-model" or meta.get("version") != 1:
        raise ConfigError(f"{manifest}: format {meta.get('format')!r} version {meta.get('version')!r} is not "
                          "supported by this voc (expected voc-model version 1); retrain with `voc train`")
    themes = LinearTextModel.load(p / "themes") if (p / "themes").is_dir() else None
    sentiment = LinearTextModel.load(p / "sentiment") if (p / "sentiment").is_dir() else None
    if themes is None and sentiment is None:
        raise ConfigError(f"model directory {p} holds neither a themes/ nor a sentiment/ model")
    return themes, sentiment


def _clause_of(clauses: Sequence[Clause], pos: int) -> Clause | None:
    for c in clauses:
        if c.start <= pos < c.end:
            return c
    return None



def normalise_texts(df: pd.DataFrame, *, text: str, config: Config | None = None,
                    normaliser: Normaliser | None = None) -> pd.DataFrame:
    """``df`` plus ``text_normalised`` (the ``voc normalise`` output)."""
    schema.require_columns(df, [text], option="--text")
    norm = normaliser or Normaliser(config)
    return df.assign(**{schema.TEXT_NORMALISED: [n.text for n in norm.normalise_many(df[text].tolist())]})


def segment_texts(df: pd.DataFrame, *, text: str, config: Config | None = None,
                  normaliser: Normaliser | None = None, segmenter: Segmenter | None = None) -> pd.DataFrame:
    """``df`` plus ``text_normalised`` and ``tokens`` (space-joined words; the ``voc segment`` output)."""
    out = normalise_texts(df, text=text, config=config, normaliser=normaliser)
    seg = segmenter or Segmenter(config)
    tokens = [" ".join(w.replace(" ", "_") for w in seg.cut(t)) for t in out[schema.TEXT_NORMALISED].tolist()]
    return out.assign(**{schema.TOKENS: tokens})


def _init_worker(pipeline: Pipeline) -> None:
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    pipeline.warm_up()  # load what the first text would, before any work arrives
    _worker_pipeline[:] = [pipeline]
    # our own process: the inherited heap (dictionaries, models) is never garbage, so keep the collector
    # off it (no traversals, no copy-on-write of shared pages) and let it run less often (~20% faster)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _ready() -> None:
    """A no-op task: submitting it makes a pool start its processes."""


def _in_worker(work: _Work, texts: list[str]) -> list[Any]:
    return work(_worker_pipeline[0], texts)


def _work(pipe: Pipeline, texts: list[str]) -> list[TagResult]:
    return pipe._tag_unique(texts)


def _work_rows(pipe: Pipeline, texts: list[str]) -> list[tuple[Any, ...]]:
    return pipe._tag_cells(texts)


def _distinct(texts: Iterable[str | None]) -> tuple[list[str], list[int]]:
    """The distinct texts (missing values as '') in first-seen order, and each input's index among them."""
    unique: dict[str, int] = {}
    index = [unique.setdefault(t, len(unique)) for t in map(_as_text, texts)]
    return list(unique), index


@dataclass
class Analysis:
    """Everything ``voc report`` shows: the tagged frame, headline scores, driver tables and the report."""

    tagged: pd.DataFrame
    headline: dict[str, Any]
    drivers: dict[str, pd.DataFrame]
    segments: dict[str, pd.DataFrame]
    trend: pd.DataFrame | None
    follow_up: pd.DataFrame
    notes: list[str]
    report: Any
    importance: dict[str, pd.DataFrame] = field(default_factory=dict)  #: relative weights for score/top/bottom


def analyse(df: pd.DataFrame, *, text: str, nps: str | None = None, csat: str | None = None,
            segment: str | None = None, date: str | None = None, config: Config | None = None,
            pipeline: Pipeline | None = None, title: str = "Customer feedback drivers", source: str = "",
            progress: Callable[[int], None] | None = None, workers: int = 1) -> Analysis:
    """Tag ``df`` and explain its NPS and/or CSAT: drivers, segments, trend, follow-up list and report.

    Example:
        >>> # a = voc.analyse(survey, text="comment", nps="nps", csat="csat", segment="region", date="submitted_at")
        >>> # a.report.save("drivers.html")
    """
    import warnings

    from voc import drivers as drv
    from voc import metrics
    from voc.errors import InputError
    from voc.report import Report

    cfg = config or (pipeline.config if pipeline else Config())
    if not nps and not csat:
        raise InputError("pass a score column: --nps COLUMN and/or --csat COLUMN")
    schema.require_columns(df, [text], option="--text")
    for opt, col in (("--nps", nps), ("--csat", csat), ("--segment", segment), ("--date", date)):
        if col:
            schema.require_columns(df, [col], option=opt)
    pipe = pipeline or Pipeline(cfg)
    tagged = pipe.tag_frame(df, text=text, progress=progress, workers=workers)
    if schema.RESPONSE_ID not in tagged.columns:
        tagged = tagged.assign(**{schema.RESPONSE_ID: [str(i + 1) for i in range(len(tagged))]})
    notes: list[str] = []
    headline: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    importance: dict[str, pd.DataFrame] = {}
    segments: dict[str, pd.DataFrame] = {}
    trend = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for metric, col in (("nps", nps), ("csat", csat)):
            if not col:
                continue
            if metric == "nps":
                headline[metric] = metrics.nps(tagged[col], promoter_min=cfg.nps_promoter_min,
                                               detractor_max=cfg.nps_detractor_max)
            else:
                headline[metric] = metrics.csat(tagged[col], scale=cfg.csat_scale, top_box=cfg.csat_top_box)
            tables[metric] = drv.driver_table(tagged, score=col, metric=metric, config=cfg)
            importance[metric] = drv.importance_table(tagged, score=col, metric=metric, config=cfg)
            if segment:
                segments[f"{metric}:{segment}"] = drv.driver_table(tagged, score=col, metric=metric,
                                                                   segment=segment, config=cfg)
        if date:
            main_metric, main_col = ("nps", nps) if nps else ("csat", csat)
            trend = drv.trend_table(tagged, score=main_col, metric=main_metric, date=date, period=cfg.period)
        norm = Normaliser(cfg)
        follow = drv.follow_up(tagged, text=text, nps=nps, csat=csat, redact=norm.redact)
    for w in caught:
        msg = str(w.message)
        if msg not in notes:
            notes.append(msg)
    for score in headline.values():
        for msg in getattr(score, "warnings", ()):
            if msg not in notes:
                notes.append(msg)
    report = Report(title=title, headline=headline, drivers=tables, tagged=tagged, text=text, segments=segments,
                    trend=trend, follow_up=follow, notes=notes, source=source, importance=importance)
    return Analysis(tagged=tagged, headline=headline, drivers=tables, segments=segments, trend=trend,
                    follow_up=follow, notes=notes, report=report, importance=importance)
