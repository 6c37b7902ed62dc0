"""The ``voc`` command line: parse options -> one library call -> rich output -> exit code.

Usage errors (unknown command or option, missing argument; bare ``voc``) get typer's short message and
exit 2. User errors (a bad file, column, encoding or value) and environment faults (a missing or
read-only folder, a full disk) print one red line and exit 2; library errors name Python parameters
(``score=``), which are shown as this CLI's flags (``--score``). Anything unexpected exits 1 with one line
and the path of a private log file holding the traceback (survey text is personal data: never dump
locals). Ctrl-C exits 130, SIGTERM 143, both through the same clean-up path.
"""
from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from voc._cli_run import _check_dates, _check_output, _check_scores, _write

app = typer.Typer(
    name="voc",
    help=(
        "voc: voice-of-customer analytics for Chinese feedback (Simplified, Taiwan, Hong Kong).\n\n"
        "Read survey exports, tag driver themes with per-theme sentiment, and explain NPS/CSAT.\n\n"
        "Example:  voc tag survey.xlsx --text 意见 -o tagged.xlsx"
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True)


class Format(enum.StrEnum):
    """``voc tag --format``."""

    wide = "wide"
    long = "long"


class Metric(enum.StrEnum):
    """``voc drivers --metric``."""

    nps = "nps"
    csat = "csat"


class Period(enum.StrEnum):
    """``--period``: calendar month, week or quarter (pandas periods)."""

    M = "M"
    W = "W"
    Q = "Q"


EARLY_WORKERS_BYTES = 200_000  #: `voc tag` starts its workers before reading inputs this big (thousands of rows)

InputArg = Annotated[str, typer.Argument(help="Input file (.csv .tsv .xlsx .xls .jsonl .parquet) or - for stdin.")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output file; format from the extension (.csv .tsv .xlsx .jsonl .parquet), - for stdout.")]
TextOpt = Annotated[str | None, typer.Option("--text", help="Column with the open-ended answer (name, or for 问卷星 exports the question number).")]
IdOpt = Annotated[str | None, typer.Option("--id", help="Column with a respondent id (default: row number).")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Force the input encoding (default: detect UTF-8/GB18030/Big5).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet name or number, 1 = first (default: the first).")]
ConvertOpt = Annotated[str | None, typer.Option("--convert", help="OpenCC conversion to the internal script: tw2sp (default: Traditional incl. Taiwan phrases → Simplified), t2s, hk2s, tw2s.")]
NoRedactOpt = Annotated[bool, typer.Option("--no-redact", help="Keep phone numbers, emails and ID/card numbers (redacted by default).")]
CodeframeOpt = Annotated[Path | None, typer.Option("--codeframe", help="Codeframe TOML (default: the shipped lexicons/codeframe.toml).")]
ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model directory written by `voc train`.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML file with voc settings (a \\[voc] table).")]
PeriodOpt = Annotated[Period, typer.Option("--period", help="M (month), W (week) or Q (quarter) for --date.")]
AllowScaleOpt = Annotated[bool, typer.Option("--allow-scale", help="Accept an NPS column whose answers all lie in 1-5 or 1-7.")]
DropInvalidOpt = Annotated[bool, typer.Option("--drop-invalid", help="Leave out scores off the scale (counted) instead of stopping.")]


def _version(value: bool) -> None:
    if value:
        from voc import __version__

        typer.echo(f"voc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version of voc and exit.")] = False) -> None:
    pass


def _config(config: Path | None = None, **overrides: Any) -> Any:
    from voc.config import Config

    base = Config.from_toml(config) if config else Config()
    return base.replace(**overrides)


def _read_chunks(input: str, *, text: str | None, id: str | None, encoding: str | None, sheet: str | None,
                 chunksize: int = 20_000) -> Iterator[Any]:
    from voc import iter_responses

    return iter_responses(input, text=text, id=id, encoding=encoding, sheet=_sheet(sheet), chunksize=chunksize)


def _progress(label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


def _resolve_text(chunk: Any, text: str | None) -> str:
    """The text column actually chosen (ingest maps 问卷星 numbers and Qualtrics question texts)."""
    return chunk.attrs.get("voc_text", text) if text else text  # type: ignore[return-value]


def _done(path: str, rows: int, what: str) -> None:
    if path != "-":
        err.print(f"[green]✓[/] {what} {rows:,} rows → {path}")


@app.command()
def normalise(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
              encoding: EncodingOpt = None, sheet: SheetOpt = None, convert: ConvertOpt = None,
              no_redact: NoRedactOpt = False, config: ConfigOpt = None) -> None:
    """Normalise text: Traditional→Simplified (OpenCC), full-width, emoji, repeats; PII redacted.

    Adds the column text_normalised and keeps every input row and column.

    Example:  voc normalise reviews.csv --text comment -o normalised.csv
    """
    from voc import Normaliser, write_frame
    from voc.normalise import normalise_frame

    _check_output(output)
    cfg = _config(config, convert=convert, redact_pii=False if no_redact else None)
    norm = Normaliser(cfg)
    rows = 0

    def chunks() -> Iterator[Any]:
        nonlocal rows
        with _progress("normalise") as bar:
            task = bar.add_task("normalise", total=None)
            for chunk in _read_chunks(input, text=text, id=id, encoding=encoding, sheet=sheet):
                col = _require_text(chunk, text)
                rows += len(chunk)
                bar.advance(task, len(chunk))
                yield normalise_frame(chunk, text=col, normaliser=norm)

    _write(write_frame, chunks(), output)
    _done(output, rows, "normalised")


@app.command()
def segment(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
            encoding: EncodingOpt = None, sheet: SheetOpt = None, convert: ConvertOpt = None,
            no_redact: NoRedactOpt = False, user_dict: Annotated[Path | None, typer.Option("--user-dict", help="Extra jieba user dictionary (word [freq] [tag] per line).")] = None,
            config: ConfigOpt = None) -> None:
    """Segment text into words (jieba + voc's domain dictionary) after normalising it.

    Adds text_normalised and tokens (space-joined words); keeps every input row and column.

    Example:  voc segment reviews.csv --text comment -o tokens.csv
    """
    from voc import Normaliser, Segmenter, write_frame
    from voc.pipeline import segment_texts

    _check_output(output)
    cfg = _config(config, convert=convert, redact_pii=False if no_redact else None, user_dict=user_dict)
    norm, seg = Normaliser(cfg), Segmenter(cfg)
    rows = 0

    def chunks() -> Iterator[Any]:
        nonlocal rows
        with _progress("segment") as bar:
            task = bar.add_task("segment", total=None)
            for chunk in _read_chunks(input, text=text, id=id, encoding=encoding, sheet=sheet):
                col = _require_text(chunk, text)
                rows += len(chunk)
                bar.advance(task, len(chunk))
                yield segment_texts(chunk, text=col, normaliser=norm, segmenter=seg)

    _write(write_frame, chunks(), output)
    _done(output, rows, "segmented")


@app.command()
def tag(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
        codeframe: CodeframeOpt = None, model: ModelOpt = None,
        format: Annotated[Format, typer.Option("--format", help="wide: one row per response (default); long: one row per mention.")] = Format.wide,
        encoding: EncodingOpt = None, sheet: SheetOpt = None, convert: ConvertOpt = None,
        no_redact: NoRedactOpt = False,
        workers: Annotated[int, typer.Option("--workers", min=0, help="Processes to use (0 = all cores for large files).")] = 0,
        config: ConfigOpt = None) -> None:
    """Tag driver themes (logistics, price, service, product, ...) with sentiment overall and per theme.

    Adds themes, subthemes, sentiment, sentiment_score, <theme>_sentiment and evidence
    (theme.subtheme:span@start-end, offsets into the original text). Keeps every row and column.

    Example:  voc tag survey.xlsx --text comment --id id -o tagged.xlsx
    """
    from voc import Pipeline

    _check_output(output)
    layout = format.value
    cfg = _config(config, convert=convert, redact_pii=False if no_redact else None, codeframe=codeframe,
                  model_dir=model)
    pipe = Pipeline(cfg)
    _ = pipe.theme_ids  # load and validate the codeframe/model before reading any data
    if layout == "wide" and workers != 1 and _big_input(input):
        pipe.start_workers(workers)  # warm and forked before this process imports pandas and reads the input
    _freeze_heap()
    from voc import write_frame

    rows = 0

    def frames() -> Iterator[Any]:
        nonlocal rows
        for chunk in _read_chunks(input, text=text, id=id, encoding=encoding, sheet=sheet):
            _require_text(chunk, text)
            rows += len(chunk)
            yield chunk

    def chunks() -> Iterator[Any]:
        with _progress("tag") as bar:
            task = bar.add_task("tag", total=None)
            yield from pipe.tag_frames(frames(), text=lambda chunk: _resolve_text(chunk, text), format=layout,
                                       workers=workers, progress=lambda n: bar.advance(task, n))

    try:
        _write(write_frame, chunks(), output)
    finally:
        pipe.close()
    _done(output, rows, "tagged")


@app.command()
def train(input: InputArg, output: OutputOpt,
          text: Annotated[str, typer.Option("--text", help="Text column.")] = "text",
          themes: Annotated[str, typer.Option("--themes", help="Column with ';'-joined theme ids (empty: none).")] = "themes",
          overall: Annotated[str | None, typer.Option("--overall", help="Overall sentiment column (default: overall or label when present).")] = None,
          encoding: EncodingOpt = None, sheet: SheetOpt = None, config: ConfigOpt = None) -> None:
    """Train theme (and sentiment) models on your own labelled feedback.

    The file has a text column and a themes column (';'-joined ids such as logistics;service), like
    the shared corpora; optionally an overall sentiment column. Use the result with --model.

    Example:  voc train labelled.csv --text text --themes themes -o my-model
    """
    from voc import read_responses
    from voc import train as fit
    from voc.errors import InputError

    if Path(output).exists() and not Path(output).is_dir():
        raise InputError(f"-o {output} is an existing file, and voc train writes a model folder: "
                         "choose a new folder name (or remove the file)")
    _check_output(output)
    cfg = _config(config)
    df = read_responses(input, text=text, columns=[themes], encoding=encoding, sheet=_sheet(sheet))
    with err.status("training…"):
        out = fit(df, output, text=df.attrs.get("voc_text", text), themes=themes, overall=overall, config=cfg)
    err.print(f"[green]✓[/] model written to {out}  (use: voc tag FILE --text COL --model {out})")


@app.command("eval")
def eval_(gold: Annotated[str, typer.Argument(help="Gold file: text, themes, <theme> sentiment columns, overall.")],
          text: Annotated[str, typer.Option("--text", help="Text column.")] = "text",
          id: IdOpt = None, codeframe: CodeframeOpt = None, model: ModelOpt = None, convert: ConvertOpt = None,
          errors_out: Annotated[str | None, typer.Option("--errors", help="Also write the misclassified rows here.")] = None,
          config: ConfigOpt = None) -> None:
    """Score the tagger on a labelled gold file: per-theme P/R/F1 and sentiment accuracy.

    Example:  voc eval gold.csv --text text --id id
    """
    from rich.table import Table

    from voc import Pipeline, evaluate, read_responses

    if errors_out:
        _check_output(errors_out)
    cfg = _config(config, convert=convert, codeframe=codeframe, model_dir=model)
    df = read_responses(gold, text=text, id=id, columns=["themes"])
    pipe = Pipeline(cfg)
    with err.status("tagging…"):
        tagged = pipe.tag_frame(df, text=df.attrs.get("voc_text", text))
    res = evaluate(df, tagged, theme_ids=pipe.theme_ids)
    out = Console()
    table = Table(title=f"voc eval: {gold} ({res.rows:,} rows)")
    for col in ("theme", "support", "precision", "recall", "F1", "theme sentiment acc"):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for row in res.themes.itertuples():
        sa = "" if row.sentiment_accuracy is None or row.sentiment_accuracy != row.sentiment_accuracy else f"{row.sentiment_accuracy:.3f}"
        table.add_row(row.theme, f"{row.support:,}", f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.f1:.3f}", sa)
    out.print(table)
    if res.overall_accuracy is not None:
        out.print(f"overall sentiment: accuracy {res.overall_accuracy:.3f}, macro-F1 {res.overall_macro_f1:.3f}")
    if len(res.errors):
        errs = Table(title="most common errors")
        for col in res.errors.columns:
            errs.add_column(col)
        for row in res.errors.itertuples(index=False):
            errs.add_row(*[str(v) for v in row])
        out.print(errs)
    if errors_out:
        from voc import write_frame

        wrong = tagged[(df["themes"].fillna("") != tagged["themes"])]
        _write(write_frame, wrong, errors_out)


@app.command()
def nps(input: InputArg, score: Annotated[str, typer.Option("--score", help="Column with the 0-10 likelihood-to-recommend answer.")],
        segment: Annotated[str | None, typer.Option("--segment", help="Also break down by this column.")] = None,
        allow_scale: AllowScaleOpt = False, drop_invalid: DropInvalidOpt = False,
        encoding: EncodingOpt = None, sheet: SheetOpt = None) -> None:
    """Net Promoter Score with its 95% interval: %promoters (9-10) − %detractors (0-6).

    Blank answers (and N/A, 不适用) are excluded and counted, never counted as 0; "10分", "１０" and "十" are
    read; values off the scale (11, 十一) stop with their rows unless --drop-invalid is given.

    Example:  voc nps survey.csv --score nps --segment region
    """
    from rich.table import Table

    from voc import read_responses
    from voc.metrics import nps as nps_score
    from voc.metrics import nps_by

    df = read_responses(input, columns=[score] + ([segment] if segment else []), encoding=encoding, sheet=_sheet(sheet))
    score = _col(df, score) or score
    result = nps_score(df[score], allow_scale=allow_scale, drop_invalid=drop_invalid)
    out = Console()
    out.print(f"[bold]{result.label()}[/]")
    shares = result.shares
    if shares:
        out.print("promoters {:.1%} · passives {:.1%} · detractors {:.1%}".format(
            shares.get("promoters", 0), shares.get("passives", 0), shares.get("detractors", 0)))
    for w in result.warnings:
        err.print(f"[yellow]note:[/] {w}")
    if segment:
        table_df = nps_by(df, score=score, by=_col(df, segment) or segment, allow_scale=allow_scale,
                          drop_invalid=drop_invalid)
        table = Table(title=f"NPS by {segment}")
        for col in table_df.columns:
            table.add_column(str(col))
        for row in table_df.itertuples(index=False):
            table.add_row(*[f"{v:.1f}" if isinstance(v, float) else str(v) for v in row])
        out.print(table)


@app.command()
def drivers(input: InputArg, output: OutputOpt, text: TextOpt = None,
            score: Annotated[str, typer.Option("--score", help="Score column (0-10 for NPS, 1-5 for CSAT).")] = "",
            metric: Annotated[Metric, typer.Option("--metric", help="nps or csat.")] = Metric.nps,
            segment: Annotated[str | None, typer.Option("--segment", help="Also compute per value of this column.")] = None,
            date: Annotated[str | None, typer.Option("--date", help="Date column: also compute per period.")] = None,
            period: PeriodOpt = Period.M, allow_scale: AllowScaleOpt = False, drop_invalid: DropInvalidOpt = False,
            id: IdOpt = None, codeframe: CodeframeOpt = None, model: ModelOpt = None,
            encoding: EncodingOpt = None, sheet: SheetOpt = None, config: ConfigOpt = None,
            validated: Annotated[Path | None, typer.Option("--validated", help="Hand labels from `voc sample`: adds impact_validated with intervals that cover tagging error.")] = None) -> None:
    """What moves NPS or CSAT: impact, gap with 95% CI, significance and relative importance per theme.

    Tags the text first (or reuses the themes columns of a file that voc tag wrote).

    Example:  voc drivers survey.csv --text comment --score nps --metric nps --segment region -o drivers.csv
    """
    from voc import Pipeline, driver_table, read_responses, write_frame
    from voc.errors import InputError
    from voc.metrics import score_checks

    if not score:
        raise InputError("--score is required: the column with the NPS (0-10) or CSAT (1-5) answer")
    _check_output(output)
    cfg = _config(config, codeframe=codeframe, model_dir=model, period=period.value)
    df = read_responses(input, text=text, id=id, columns=[c for c in (score, segment, date) if c], encoding=encoding,
                        sheet=_sheet(sheet))
    _check_scores(df, [("score", _col(df, score), metric.value)], cfg, allow_scale=allow_scale, drop_invalid=drop_invalid)
    _check_dates(df, _col(df, date))
    pipe = Pipeline(cfg)  # one pipeline for tagging and for the label file's theme ids
    if "themes" not in df.columns:
        col = _require_text(df, text)
        with _progress("tag") as bar:
            task = bar.add_task("tag", total=len(df))
            df = pipe.tag_frame(df, text=col, progress=lambda n: bar.advance(task, n))
    from voc.cli_validate import read_validated

    with score_checks(allow_scale=True, drop_invalid=drop_invalid):  # the whole column passed the checks above
        table = driver_table(df, score=_col(df, score) or score, metric=metric.value, segment=_col(df, segment),
                             date=_col(df, date), period=period.value, config=cfg,
                             validated=read_validated(validated, pipe))
    if table.empty and table.attrs.get("explanation"):
        err.print(f"[yellow]note:[/] {table.attrs['explanation']}")
    _write(write_frame, table, output)
    _done(output, len(table), "driver rows")


@app.command()
def report(input: InputArg, output: OutputOpt, text: TextOpt = None,
           nps: Annotated[str | None, typer.Option("--nps", help="NPS column (0-10).")] = None,
           csat: Annotated[str | None, typer.Option("--csat", help="CSAT column (1-5).")] = None,
           segment: Annotated[str | None, typer.Option("--segment", help="Segment column (channel, region, ...).")] = None,
           date: Annotated[str | None, typer.Option("--date", help="Date column for the trend view.")] = None,
           period: PeriodOpt = Period.M, allow_scale: AllowScaleOpt = False, drop_invalid: DropInvalidOpt = False,
           title: Annotated[str, typer.Option("--title", help="Report title.")] = "Customer feedback drivers",
           id: IdOpt = None, codeframe: CodeframeOpt = None, model: ModelOpt = None,
           encoding: EncodingOpt = None, sheet: SheetOpt = None, config: ConfigOpt = None) -> None:
    """Driver report: headline NPS/CSAT with intervals, drivers, verbatims, segments, trend, follow-up list.

    Writes one self-contained HTML file (or .xlsx with one sheet per table, or .md).

    Example:  voc report survey.csv --text comment --nps nps --csat csat --segment region --date submitted_at -o report.html
    """
    from voc import analyse, read_responses
    from voc.errors import InputError
    from voc.metrics import score_checks

    if Path(output).suffix.lower() not in (".html", ".htm", ".xlsx", ".md"):
        raise InputError(f"report output must end in .html, .xlsx or .md, not {output!r}")
    _check_output(output)
    cfg = _config(config, codeframe=codeframe, model_dir=model, period=getattr(period, "value", period))
    wanted = [c for c in (nps, csat, segment, date) if c]
    df = read_responses(input, text=text, id=id, columns=wanted, encoding=encoding, sheet=_sheet(sheet))
    col = _require_text(df, text)
    _check_scores(df, [("nps", _col(df, nps), "nps"), ("csat", _col(df, csat), "csat")], cfg,
                  allow_scale=allow_scale, drop_invalid=drop_invalid)
    _check_dates(df, _col(df, date))
    with score_checks(allow_scale=True, drop_invalid=drop_invalid):  # the whole columns passed the checks above
        with _progress("tag") as bar:
            task = bar.add_task("tag", total=len(df))
            result = analyse(df, text=col, nps=_col(df, nps), csat=_col(df, csat), segment=_col(df, segment),
                             date=_col(df, date), config=cfg, title=title,
                             source=Path(input).name if input != "-" else "stdin",
                             progress=lambda n: bar.advance(task, n))
        _write(lambda report, path: report.save(path), result.report, output)  # segment tables parse scores too
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    _done(output, len(df), "report of")


@app.command()
def demo(output: Annotated[str, typer.Option("--output", "-o", help="Where to write the HTML report.")] = "voc-demo-report.html") -> None:
    """Build the driver report of the bundled demo survey (2,400 answers in Simplified, Taiwan and HK Chinese).

    Example:  voc demo -o demo.html
    """
    from voc.errors import InputError

    survey = _demo_survey()
    if survey is None:
        raise InputError("the bundled demo survey (corpora/demo_survey.csv) is not available in this installation; "
                         "run voc demo from a clone of the repository")
    report(str(survey), output, text="comment", nps="nps", csat="csat", segment="region", date="submitted_at",
           period=Period.M, allow_scale=False, drop_invalid=True,  # the demo plants a few 11s: left out, counted
           title="鲜到家 customer survey: what drives NPS and CSAT", id="id", codeframe=None, model=None,
           encoding=None, sheet=None, config=None)
    err.print(f"open {Path(output).resolve()} in a browser")


def _demo_survey() -> Path | None:
    here = Path(__file__).resolve().parent.parent / "corpora" / "demo_survey.csv"
    return here if here.is_file() else None


def _sheet(sheet: str | None) -> str | int | None:
    """--sheet takes a name or a 1-based number (ingest counts from 0)."""
    return int(sheet) - 1 if sheet is not None and sheet.isdigit() and int(sheet) > 0 else sheet


def _col(df: Any, name: str | None) -> str | None:
    """The actual column a --score/--nps/... option named (问卷星 question numbers, Qualtrics texts)."""
    if not name:
        return name
    return df.attrs.get("voc_columns", {}).get(name, name)


def _big_input(path: str) -> bool:
    """Whether ``path`` is a file big enough to start worker processes before it is even read."""
    try:
        return path != "-" and os.path.getsize(path) >= EARLY_WORKERS_BYTES
    except OSError:
        return False  # missing or unreadable: reading it gives the proper error


def _freeze_heap() -> None:
    """Keep the garbage collector off what is loaded so far (dictionaries, models: never garbage)."""
    import gc

    gc.freeze()


def _require_text(chunk: Any, text: str | None) -> str:
    from voc.errors import InputError

    if not text:
        cols = ", ".join(str(c) for c in chunk.columns)
        raise InputError(f"--text is required: which column holds the answers? Columns are: {cols}")
    return _resolve_text(chunk, text)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``voc`` console script: always exits (0 ok, 1 bug, 2 usage/user error, 130/143)."""
    import voc.cli_validate  # noqa: F401 - registers `voc sample`
    from voc._cli_run import run

    run(app, argv, err)
