"""Throughput and memory of voc beside plain jieba, on the same texts.

Each measurement runs in a fresh Python process, so load time and peak RSS are its own:
  jieba       plain `jieba.lcut` (global dictionary, HMM on), one process: the reference
  jieba_e2e   the same as a whole job: start, load jieba, read the CSV, lcut every text, write a CSV
  normseg     voc normalise + segment (library calls, one process)
  tag         end-to-end `voc tag INPUT.csv -o OUT.csv` (CLI: read, normalise, segment, tag, write)
  tag_lib     the library once loaded (the survey app's case): Pipeline.start_workers() + tag_frame of all
              texts, load excluded like the `jieba` row (not the end-to-end figure: no start-up, no files)
  startup     `voc segment` on a one-line file (wall time of the whole command)

Usage (from the repository root, with voc installed):
    python benchmarks/bench_throughput.py                                   # waimai_10k + online_shopping
    python benchmarks/bench_throughput.py ../shared/corpora/sentiment/waimai_10k.csv --only jieba normseg

docs/s counts input rows per second of wall time: start-up included for `tag` and `jieba_e2e` (what a
user waits for), excluded for the library measurements (reported separately as load seconds).
Peak RSS is the process's ru_maxrss; for `tag` with worker processes, the largest worker is reported
too (workers are forked and share most pages with the parent, so the two do not simply add up).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = [HERE.parent.parent / "shared/corpora/sentiment/waimai_10k.csv",
           HERE.parent.parent / "shared/corpora/sentiment/online_shopping_10_cats.csv"]

JIEBA = r"""
import json, resource, sys, time, logging
t0 = time.perf_counter()
import jieba
jieba.setLogLevel(logging.WARNING)
jieba.initialize()
load = time.perf_counter() - t0
texts = json.load(open(sys.argv[1], encoding="utf-8"))
t1 = time.perf_counter()
n_tok = sum(len(jieba.lcut(t)) for t in texts)
secs = time.perf_counter() - t1
print(json.dumps({"load_s": load, "secs": secs, "tokens": n_tok,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

NORMSEG = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from voc import Normaliser, Segmenter
norm, seg = Normaliser(), Segmenter()
seg.cut(norm.normalise("预热").text)
load = time.perf_counter() - t0
texts = json.load(open(sys.argv[1], encoding="utf-8"))
t1 = time.perf_counter()
n_tok = sum(len(seg.cut(norm.normalise(t).text)) for t in texts)
secs = time.perf_counter() - t1
print(json.dumps({"load_s": load, "secs": secs, "tokens": n_tok,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

TAG_LIB = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import pandas as pd
import voc
workers = int(sys.argv[2])
pipe = voc.Pipeline().start_workers(workers)
pipe.tag_many(["物流很快，但是客服态度很差"] * 64, workers=workers)  # waits until the workers are loaded
load = time.perf_counter() - t0
df = pd.DataFrame({"text": json.load(open(sys.argv[1], encoding="utf-8"))})
t1 = time.perf_counter()
out = pipe.tag_frame(df, text="text", workers=workers)
secs = time.perf_counter() - t1
pipe.close()
print(json.dumps({"load_s": load, "secs": secs, "tagged": int((out["themes"] != "").sum()),
                  "rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024}))
"""

# the same job end to end with plain jieba: start, load, read the CSV, segment every text, write a CSV
JIEBA_E2E = r"""
import csv, logging, sys
import jieba
jieba.setLogLevel(logging.WARNING)
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(rows[0] + ["tokens"])
    w.writerows(r + [" ".join(jieba.lcut(r[1]))] for r in rows[1:])
"""

RUN_CHILD = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
secs = time.perf_counter() - t0
if p.returncode:
    sys.stderr.write(p.stderr[-2000:]); sys.exit(p.returncode)
print(json.dumps({"secs": secs, "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def read_texts(path: Path, limit: int | None) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r.get("text")]
    return texts[:limit] if limit else texts


def run_py(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def voc_cmd() -> list[str]:
    return [sys.executable, "-m", "voc"]


def bench_corpus(path: Path, only: set[str], limit: int | None, workers: int, repeat: int = 1) -> dict:
    """Every measurement ``repeat`` times, interleaved (so that each sees the same machine load); the
    run with the median docs/s is reported, with all the docs/s figures in ``runs``."""
    texts = read_texts(path, limit)
    res: dict = {"corpus": path.name, "docs": len(texts),
                 "mean_chars": round(sum(map(len, texts)) / max(1, len(texts)), 1), "repeat": repeat}
    with tempfile.TemporaryDirectory() as tmp:
        tj = Path(tmp) / "texts.json"
        tj.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        src = Path(tmp) / "in.csv"
        with open(src, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "text"])
            w.writerows((i, t) for i, t in enumerate(texts))
        tag_cmd = [*voc_cmd(), "tag", str(src), "--text", "text", "--id", "id", "-o", str(Path(tmp) / "out.csv"),
                   "--workers", str(workers)]
        jobs = {
            "jieba": lambda: run_py(JIEBA, str(tj)),
            "jieba_e2e": lambda: run_py(RUN_CHILD, sys.executable, "-c", JIEBA_E2E, str(src),
                                        str(Path(tmp) / "jieba.csv")),
            "normseg": lambda: run_py(NORMSEG, str(tj)),
            "tag": lambda: {**run_py(RUN_CHILD, *tag_cmd), "workers": workers},
            "tag_lib": lambda: {**run_py(TAG_LIB, str(tj), str(workers)), "workers": workers},
        }
        runs: dict[str, list[dict]] = {k: [] for k in jobs if k in only}
        for _ in range(repeat):
            for key, done in runs.items():
                r = jobs[key]()
                done.append({**r, "docs_per_s": len(texts) / r["secs"]})
        for key, rs in runs.items():
            rs.sort(key=lambda r: r["docs_per_s"])
            res[key] = {**rs[len(rs) // 2], "runs": [round(r["docs_per_s"]) for r in rs]}
    return res


def startup() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "one.csv"
        src.write_text("text\n物流太慢了，客服也不理人\n", encoding="utf-8")
        cmd = [*voc_cmd(), "segment", str(src), "--text", "text", "-o", str(Path(tmp) / "out.csv")]
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            runs.append(time.perf_counter() - t0)
        return {"voc_segment_one_line_s": round(min(runs), 3), "runs": [round(x, 3) for x in runs]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--only", nargs="+", default=["jieba", "jieba_e2e", "normseg", "tag", "tag_lib", "startup"])
    ap.add_argument("--limit", type=int, default=None, help="first N texts of each corpus")
    ap.add_argument("--workers", type=int, default=0, help="voc tag --workers (0 = all cores)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement (the median is reported)")
    ap.add_argument("--json", type=Path, help="write results here too")
    a = ap.parse_args(argv)
    only = set(a.only)
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "corpora": []}
    for path in a.corpora:
        r = bench_corpus(path, only, a.limit, a.workers, a.repeat)
        results["corpora"].append(r)
        print(f"\n{r['corpus']}: {r['docs']:,} docs, {r['mean_chars']} chars on average")
        base = r.get("jieba", {}).get("docs_per_s")
        base_e2e = r.get("jieba_e2e", {}).get("docs_per_s")
        for key in ("jieba", "jieba_e2e", "normseg", "tag", "tag_lib"):
            if key in r:
                m = r[key]
                ratio = f"  {m['docs_per_s'] / base:4.2f}x jieba" if base else ""
                if key == "tag" and base_e2e:
                    ratio += f"  {m['docs_per_s'] / base_e2e:4.2f}x jieba_e2e"
                load = f"  load {m['load_s']:.2f}s" if "load_s" in m else ""
                spread = f"  (runs: {', '.join(f'{x:,}' for x in m['runs'])})" if len(m["runs"]) > 1 else ""
                print(f"  {key:<9} {m['docs_per_s']:>9,.0f} docs/s{ratio}  peak RSS {m['rss_mb']:,.0f} MB{load}{spread}")
    if "startup" in only:
        s = startup()
        results["startup"] = s
        print(f"\nvoc segment on one line: {s['voc_segment_one_line_s']} s (best of 3: {s['runs']})")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
