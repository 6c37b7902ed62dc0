#!/usr/bin/env python3
"""Planted-survey check of validated driver figures (issue 16): do they cover the truth where plain ones miss?

Real comments with gold theme labels are read at run time from the shared corpora (never copied into the
repository); scores are drawn from a latent NPS with planted theme × polarity effects; the comments are
tagged by ``voc.Pipeline().tag_frame``; ``draw_sample`` picks the rows to "label", whose labels are taken
from the gold file; then ``driver_table(..., validated=labels)``. The true impact of each row is the
leave-one-out impact computed with the gold mentions on all rows.

    .venv/bin/python benchmarks/planted_validated.py [--corpora /work/shared/corpora] [--seed 0] [--stratify]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from voc import Pipeline
from voc.config import Config
from voc.drivers import driver_table
from voc.sampling import draw_sample
from voc.validated import read_labels

THEMES = ["logistics", "price", "service", "product"]
#: planted shifts of the latent 0-10 score for a (gold) mention of theme × polarity
EFFECTS = {("logistics", "negative"): -3.0, ("service", "negative"): -3.0, ("product", "negative"): -2.5,
           ("product", "positive"): 1.5, ("price", "positive"): 1.0, ("price", "negative"): -1.5,
           ("logistics", "positive"): 1.0, ("service", "positive"): 1.0}
SOURCES = (("voc_gold_dev.csv", None), ("sighan2024_tw_restaurant_simplified.csv", 1300),
           ("ccf_car_forum.csv", 350))


def load(corpora: Path, rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for name, take in SOURCES:
        df = pd.read_csv(corpora / "themes" / name, dtype=str, keep_default_na=False)
        if take is not None:
            df = df.iloc[rng.choice(len(df), take, replace=False)]
        frames.append(df[["id", "text", "themes", *THEMES]])
    return pd.concat(frames, ignore_index=True).rename(columns={"id": "response_id"})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=Path("/work/shared/corpora"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--stratify", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    gold = load(args.corpora, rng)
    has = {t: gold["themes"].str.split(";").map(lambda ts, t=t: t in ts).to_numpy() for t in THEMES}
    latent = 8.0 + rng.normal(0, 1.8, len(gold))
    for (t, pol), shift in EFFECTS.items():
        latent += shift * (has[t] & (gold[t] == pol).to_numpy())
    gold["nps"] = np.clip(np.rint(latent), 0, 10).astype(int)
    tagged = Pipeline().tag_frame(gold[["response_id", "text", "nps"]], text="text")
    sample = draw_sample(tagged, n=args.n, seed=args.seed, stratify=args.stratify, text="text", theme_ids=THEMES)
    truth = gold.set_index("response_id").loc[sample["id"]]
    labels = sample.assign(themes=truth["themes"].to_numpy(), **{t: truth[t].to_numpy() for t in THEMES})
    table = driver_table(tagged, score="nps", level="theme", config=Config(bootstrap=1000, seed=args.seed),
                         validated=read_labels(labels, theme_ids=THEMES))
    c = np.where(gold["nps"] >= 9, 100.0, np.where(gold["nps"] <= 6, -100.0, 0.0))
    rows = []
    for r in table.itertuples():
        y = has[r.theme] if r.polarity == "any" else has[r.theme] & (gold[r.theme] == r.polarity).to_numpy()
        true = c.mean() - c[~y].mean()
        plain_in = r.impact_ci_low <= true <= r.impact_ci_high
        val_in = (r.impact_validated_ci_low <= true <= r.impact_validated_ci_high
                  if np.isfinite(r.impact_validated) else None)
        rows.append({"theme": r.theme, "polarity": r.polarity, "true": true,
                     "plain": f"{r.impact:+.1f} [{r.impact_ci_low:+.1f}, {r.impact_ci_high:+.1f}]",
                     "plain covers": plain_in,
                     "validated": (f"{r.impact_validated:+.1f} [{r.impact_validated_ci_low:+.1f}, "
                                   f"{r.impact_validated_ci_high:+.1f}]" if val_in is not None else r.validated_note),
                     "validated covers": val_in, "n_validated": r.n_validated,
                     "precision": r.tagger_precision, "recall": r.tagger_recall})
    out = pd.DataFrame(rows)
    print(f"{len(gold)} rows, {len(sample)} labelled ({'stratified' if args.stratify else 'simple random'}), "
          f"seed {args.seed}")
    print(_markdown(out))
    judged = out[out["validated covers"].notna()]
    bad = judged[~judged["plain covers"] & ~judged["validated covers"].astype(bool)]
    print(f"plain covers {int(out['plain covers'].sum())}/{len(out)}; validated covers "
          f"{int(judged['validated covers'].astype(bool).sum())}/{len(judged)}; rows where both miss: {len(bad)}")
    return 0 if bad.empty else 1


def _markdown(df: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
