"""The ``voc`` command line: parse options -> one library call -> rich output -> exit code.

User errors (a bad file, column, encoding or value) print one red line and exit 2; anything unexpected
exits 1 with a short hint and no traceback (survey text is personal data: never dump locals).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

app = typer.Typer(
    name="voc",
    help=(
        "voc: voice-of-customer analytics for Chinese feedback (Simplified, Taiwan, Hong Kong).\n\n"
        "Read survey exports, tag driver themes with per-theme sentiment, and explain NPS/CSAT.\n\n"
        "Example:  voc tag survey.xlsx --text 意见 -o tagged.xlsx"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True)

InputArg = Annotated[str, typer.Argument(help="Input file (.csv .tsv .xlsx .xls .jsonl .parquet) or - for stdin.")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output file; format from the extension (.csv .tsv .xlsx .jsonl .parquet), - for stdout.")]
TextOpt = Annotated[Optional[str], typer.Option("--text", help="Column with the open-ended answer (name, or for 问卷星 exports the question number).")]
IdOpt = Annotated[Optional[str], typer.Option("--id", help="Column with a respondent id (default: row number).")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="Force the input encoding (default: detect UTF-8/GB18030/Big5).")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet name or number (default: the first).")]
ConvertOpt = Annotated[Optional[str], typer.Option("--convert", help="OpenCC conversion to the internal script: t2s (default), tw2sp, hk2s, tw2s.")]
NoRedactOpt = Annotated[bool, typer.Option("--no-redact", help="Keep phone numbers, emails and ID/card numbers (redacted by default).")]
CodeframeOpt = Annotated[Optional[Path], typer.Option("--codeframe", help="Codeframe TOML (default: the shipped lexicons/codeframe.toml).")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Model directory written by `voc train`.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="TOML file with voc settings ([voc] table).")]


def _config(config: Path | None = None, **overrides: Any) -> Any:
    from voc.config import Config

    base = Config.from_toml(config) if config else Config()
    return base.replace(**overrides)


def _read_chunks(input: str, *, text: str | None, id: str | None, encoding: str | None, sheet: str | None,
                 chunksize: int = 20_000) -> Iterator[Any]:
    from voc import iter_responses

    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    return iter_responses(input, text=text, id=id, encoding=encoding, sheet=sheet_arg, chunksize=chunksize)


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
    from voc.pipeline import normalise_texts

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
                yield normalise_texts(chunk, text=col, normaliser=norm)

    write_frame(chunks(), output)
    _done(output, rows, "normalised")


@app.command()
def segment(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
            encoding: EncodingOpt = None, sheet: SheetOpt = None, convert: ConvertOpt = None,
            no_redact: NoRedactOpt = False, user_dict: Annotated[Optional[Path], typer.Option("--user-dict", help="Extra jieba user dictionary (word [freq] [tag] per line).")] = None,
            config: ConfigOpt = None) -> None:
    """Segment text into words (jieba + voc's domain dictionary) after normalising it.

    Adds text_normalised and tokens (space-joined words); keeps every input row and column.

    Example:  voc segment reviews.csv --text comment -o tokens.csv
    """
    from voc import Normaliser, Segmenter, write_frame
    from voc.pipeline import segment_texts

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

    write_frame(chunks(), output)
    _done(output, rows, "segmented")


@app.command()
def tag(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
        codeframe: CodeframeOpt = None, model: ModelOpt = None,
        format: Annotated[str, typer.Option("--format", help="wide: one row per response (default); long: one row per mention.")] = "wide",
        encoding: EncodingOpt = None, sheet: SheetOpt = None, convert: ConvertOpt = None,
        no_redact: NoRedactOpt = False,
        workers: Annotated[int, typer.Option("--workers", help="Processes to use (0 = all cores for large files).")] = 0,
        config: ConfigOpt = None) -> None:
    """Tag driver themes (logistics, price, service, product, ...) with sentiment overall and per theme.

    Adds themes, subthemes, sentiment, sentiment_score, <theme>_sentiment and evidence
    (theme.subtheme:span@start-end, offsets into the original text). Keeps every row and column.

    Example:  voc tag survey.xlsx --text comment --id id -o tagged.xlsx
    """
    from voc import Pipeline, write_frame

    cfg = _config(config, convert=convert, redact_pii=False if no_redact else None, codeframe=codeframe,
                  model_dir=model)
    pipe = Pipeline(cfg)
    pipe.theme_ids  # load and validate the codeframe/model before reading any data
    rows = 0

    def chunks() -> Iterator[Any]:
        nonlocal rows
        with _progress("tag") as bar:
            task = bar.add_task("tag", total=None)
            for chunk in _read_chunks(input, text=text, id=id, encoding=encoding, sheet=sheet):
                col = _require_text(chunk, text)
                rows += len(chunk)
                yield pipe.tag_frame(chunk, text=col, format=format, workers=workers,
                                     progress=lambda n: bar.advance(task, n))

    write_frame(chunks(), output)
    _done(output, rows, "tagged")


def _require_text(chunk: Any, text: str | None) -> str:
    from voc.errors import InputError

    if not text:
        cols = ", ".join(str(c) for c in chunk.columns)
        raise InputError(f"--text is required: which column holds the answers? Columns are: {cols}")
    return _resolve_text(chunk, text)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``voc`` console script."""
    from voc.errors import VocError

    try:
        app(args=argv, standalone_mode=False)
    except VocError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback at the user
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {str(exc)[:300]}", highlight=False)
        err.print("This is a bug in voc. Re-run with VOC_DEBUG=1 for details and report it.")
        if os.environ.get("VOC_DEBUG"):
            raise
        sys.exit(1)
