"""``voc sample`` and the ``--validated`` option: the CLI side of driver figures corrected for tagging error.

Flags -> one library call (:mod:`voc.sampling`, :mod:`voc.validated`); kept beside ``voc/cli.py`` so that
each CLI module stays readable. The commands register on the same typer app.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voc._cli_run import _check_output
from voc.cli import IdOpt, InputArg, OutputOpt, TextOpt, _done, _progress, _require_text, app, err


def read_validated(path: Path | None, pipe: Any) -> Any:
    """The label file given to ``--validated`` as :class:`voc.validated.Labels`, or None."""
    if path is None:
        return None
    from voc.validated import read_labels

    return read_labels(path, theme_ids=pipe.theme_ids)


@app.command()
def sample(input: InputArg, output: OutputOpt, text: TextOpt = None, id: IdOpt = None,
           n: Annotated[int, typer.Option("-n", min=1, help="How many responses to label.")] = 400,
           seed: Annotated[int, typer.Option("--seed", help="Random seed (the same seed draws the same rows).")] = 0,
           stratify: Annotated[bool, typer.Option("--stratify", help="Oversample rows the tagger is unsure of or with rare themes (weights recorded).")] = False,
           prefill: Annotated[bool, typer.Option("--prefill", help="Fill the label columns with the tagger's answer, to correct rather than type.")] = False,
           plan: Annotated[str | None, typer.Option("--plan", help="Score column: print the interval half-width to expect for 200/400/800 labels instead.")] = None,
           metric: Annotated[str, typer.Option("--metric", help="nps or csat (with --plan).")] = "nps") -> None:
    """Draw responses to hand-label, so that `voc drivers --validated` can correct for tagging error.

    The sheet (.xlsx with drop-down lists, or .csv) has the `voc eval` gold columns, blank unless
    --prefill, plus inclusion_probability and the tagger's predicted_* columns.

    Example:  voc sample survey.csv --text comment --id id -n 400 --seed 1 -o to_label.xlsx
    """
    from voc import Pipeline, read_responses
    from voc.sampling import draw_sample, write_label_sheet
    from voc.sampling import plan as plan_sizes

    _check_output(output)
    df = read_responses(input, text=text, id=id, columns=[plan] if plan else [])
    col = _require_text(df, text)
    pipe = Pipeline()
    with _progress("tag") as bar:
        task = bar.add_task("tag", total=len(df))
        tagged = pipe.tag_frame(df, text=col, progress=lambda k: bar.advance(task, k))
    if plan:
        table = plan_sizes(tagged, score=plan, metric=metric, theme_ids=pipe.theme_ids)
        typer.echo(table.to_string(index=False))
        return
    drawn = draw_sample(tagged, n=n, seed=seed, stratify=stratify, prefill=prefill, text=col,
                        theme_ids=pipe.theme_ids)
    write_label_sheet(drawn, output, theme_ids=pipe.theme_ids)
    _done(output, len(drawn), "sampled")
    err.print("label the themes / polarity columns, then: voc drivers ... --validated " + output)
