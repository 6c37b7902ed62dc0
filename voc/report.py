"""The driver report: one self-contained HTML page (inline CSS and SVG), plus Excel and Markdown.

Example:
    >>> # a = voc.analyse(survey, text="comment", nps="nps", csat="csat"); a.report.save("drivers.html")
"""
from __future__ import annotations

import datetime as _dt
import html
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from voc import schema
from voc.errors import InputError

_EVIDENCE = re.compile(r"^(?P<code>[^:]+):(?P<span>.*)@(?P<start>\d+)-(?P<end>\d+)$")
_POL_COLOURS = {"negative": "#d1495b", "positive": "#2e933c", "any": "#5c6b7a"}
_CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f7f8fa;--neg:#d1495b;--pos:#2e933c;--neu:#8a94a6;--acc:#2f5d8a}
*{box-sizing:border-box}body{margin:0;font:15px/1.55 "PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",
-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 24px 60px}
header h1{font-size:28px;margin:0 0 4px}header p{color:var(--muted);margin:0}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin-top:22px}
h2{font-size:19px;margin:0 0 12px}h3{font-size:16px;margin:18px 0 8px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:16px}
.tile{border:1px solid var(--line);border-radius:10px;padding:16px 18px}
.tile .k{color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.05em}
.tile .v{font-size:40px;font-weight:700;line-height:1.1}.tile .ci{color:var(--muted);font-size:13px}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;margin:10px 0 4px}
.bar span{display:block}.legend{font-size:12px;color:var(--muted)}
ul.findings li{margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600}td.l,th.l{text-align:left;white-space:normal}
tr.lown td{color:#9aa5b1}.neg{color:var(--neg)}.pos{color:var(--pos)}
.scroll{overflow-x:auto}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.chart svg{width:100%;height:auto}
.verb{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:10px 24px}
blockquote{margin:6px 0;padding:8px 12px;border-left:3px solid var(--line);background:#fafbfc;border-radius:4px}
blockquote.negative{border-color:var(--neg)}blockquote.positive{border-color:var(--pos)}
mark{background:#fff1b8;padding:0 1px;border-radius:2px}
.note{color:var(--muted);font-size:13px}.method p,.method li{font-size:13.5px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}}
@media (max-width:640px){main{padding:14px}.charts{grid-template-columns:1fr}.tile .v{font-size:32px}}
"""


@dataclass
class Report:
    """Everything the report shows; render with :meth:`to_html`, :meth:`to_excel`, :meth:`to_markdown`."""

    title: str
    headline: dict[str, Any]
    drivers: dict[str, pd.DataFrame]
    tagged: pd.DataFrame
    text: str
    segments: dict[str, pd.DataFrame] = field(default_factory=dict)
    trend: pd.DataFrame | None = None
    follow_up: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    source: str = ""
    importance: dict[str, pd.DataFrame] = field(default_factory=dict)
    generated_at: str = field(default_factory=lambda: _dt.datetime.now().strftime("%Y-%m-%d %H:%M"))

    # -- findings ------------------------------------------------------------------------------------
    def findings(self, limit: int = 5) -> list[str]:
        """Short sentences on the significant drivers (BH-adjusted p < 0.05), largest impact first."""
        out: list[str] = []
        for metric, table in self.drivers.items():
            if table is None or table.empty:
                continue
            unit = "NPS points" if metric == "nps" else "CSAT points"
            t = table[(table["polarity"] != "any") & (table["p_adjusted"] < 0.05) & ~table["low_n"].astype(bool)]
            t = t.reindex(t["impact"].abs().sort_values(ascending=False).index).head(3)
            for r in t.itertuples():
                verb = "cost" if r.impact < 0 else "add"
                out.append(f"{r.polarity.capitalize()} mentions of {r.theme} ({r.share:.0%} of responses) {verb} "
                           f"{abs(r.impact):.1f} {unit} (95% CI {abs(r.impact_ci_high):.1f}–{abs(r.impact_ci_low):.1f})"
                           if r.impact < 0 else
                           f"{r.polarity.capitalize()} mentions of {r.theme} ({r.share:.0%} of responses) {verb} "
                           f"{r.impact:.1f} {unit} (95% CI {r.impact_ci_low:.1f}–{r.impact_ci_high:.1f})")
        return out[:limit]

    # -- HTML -----------------------------------------------------------------------------------------
    def to_html(self, path: str | Path | None = None) -> str:
        """The report as one self-contained HTML page (written to ``path`` when given)."""
        parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
                 f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
                 f"<title>{_e(self.title)}</title><style>{_CSS}</style></head><body><main>",
                 self._html_headline(), self._html_findings(), self._html_drivers(), self._html_verbatims(),
                 self._html_segments(), self._html_trend(), self._html_follow_up(), self._html_method(),
                 "</main></body></html>"]
        page = "\n".join(parts)
        if path is not None:
            _atomic_write(Path(path), page.encode("utf-8"))
        return page

    def _html_headline(self) -> str:
        n = len(self.tagged)
        meta = " · ".join(x for x in [_e(self.source), f"{n:,} responses", f"generated {self.generated_at}"] if x)
        tiles = []
        for metric, s in self.headline.items():
            name = "NPS" if metric == "nps" else "CSAT"
            if s is None or s.value is None:
                tiles.append(f"<div class='tile'><div class='k'>{name}</div><div class='v'>–</div>"
                             f"<div class='ci'>no valid answers</div></div>")
                continue
            val = f"{s.value:+.1f}" if metric == "nps" else f"{s.value:.1f}%"
            ci = (f"95% CI {s.ci_low:+.1f} to {s.ci_high:+.1f}" if metric == "nps" else
                  f"95% CI {s.ci_low:.1f}% to {s.ci_high:.1f}%") if s.ci_low is not None else "no interval (n < 2)"
            bar = ""
            if metric == "nps":
                sh = s.shares
                bar = (f"<div class='bar'><span style='width:{100 * sh['promoters']:.1f}%;background:var(--pos)'></span>"
                       f"<span style='width:{100 * sh['passives']:.1f}%;background:var(--neu)'></span>"
                       f"<span style='width:{100 * sh['detractors']:.1f}%;background:var(--neg)'></span></div>"
                       f"<div class='legend'>promoters {sh['promoters']:.0%} · passives {sh['passives']:.0%} · "
                       f"detractors {sh['detractors']:.0%}</div>")
            else:
                bar = (f"<div class='bar'><span style='width:{s.value:.1f}%;background:var(--pos)'></span>"
                       f"<span style='width:{100 - s.value:.1f}%;background:var(--neu)'></span></div>"
                       f"<div class='legend'>satisfied (top-2 box) {s.value:.0f}%</div>")
            tiles.append(f"<div class='tile'><div class='k'>{name}</div><div class='v'>{val}</div>"
                         f"<div class='ci'>{ci} · n={s.n:,}</div>{bar}</div>")
        return (f"<header id='headline'><h1>{_e(self.title)}</h1><p>{meta}</p></header>"
                f"<section><h2>Headline</h2><div class='tiles'>{''.join(tiles)}</div></section>")

    def _html_findings(self) -> str:
        items = self.findings()
        body = ("<ul class='findings'>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>" if items else
                "<p class='note'>No driver is statistically significant after the Benjamini–Hochberg adjustment.</p>")
        notes = ("<h3>Data notes</h3><ul>" + "".join(f"<li class='note'>{_e(x)}</li>" for x in self.notes) + "</ul>"
                 if self.notes else "")
        return f"<section id='findings'><h2>Key findings</h2>{body}{notes}</section>"

    def _html_drivers(self) -> str:
        out = ["<section id='drivers'><h2>What drives the scores</h2>"]
        if not self.drivers:
            out.append("<p class='note'>No score column was given.</p>")
        for metric, table in self.drivers.items():
            name = "NPS" if metric == "nps" else "CSAT"
            out.append(f"<h3>{name} drivers</h3>")
            if table is None or table.empty:
                out.append(f"<p class='note'>{_e(table.attrs.get('explanation', 'No driver rows.') if table is not None else '')}</p>")
                continue
            top = table[table["theme"].str.count(r"\.") == 0]
            out.append("<div class='charts'>"
                       f"<div class='chart'>{_impact_chart(table, name)}</div>"
                       f"<div class='chart'>{_quadrant_chart(top, name)}</div></div>")
            out.append(_driver_table_html(table.head(40)))
            imp = self.importance.get(metric)
            if imp is not None and not imp.empty:
                top_name, bottom_name = ("promoter", "detractor") if metric == "nps" else ("satisfied", "dissatisfied")
                shown = imp.head(10).rename(columns={"weight_score": f"weight: {name} score",
                                                     "weight_top": f"weight: {top_name}",
                                                     "weight_bottom": f"weight: {bottom_name}"})
                r2 = ", ".join(f"{k[3:]} {v:.2f}" for k, v in imp.attrs.items() if k.startswith("r2_"))
                out.append(f"<h3>Relative importance ({name})</h3><p class='note'>Johnson's relative weights; each "
                           f"column sums to its model's R² ({_e(r2)}).</p><div class='scroll'>"
                           + _simple_table(shown) + "</div>")
        out.append("</section>")
        return "".join(out)

    def _html_verbatims(self) -> str:
        out = ["<section id='verbatims'><h2>What customers say</h2>"]
        t = self.tagged
        if self.text not in t.columns or schema.THEMES not in t.columns:
            out.append("<p class='note'>No tagged comments.</p></section>")
            return "".join(out)
        themes = [c[: -len("_sentiment")] for c in t.columns if c.endswith("_sentiment") and c != "sentiment"]
        out.append("<div class='verb'>")
        for theme in themes:
            col = schema.theme_sentiment_column(theme)
            blocks = []
            for pol in ("negative", "positive"):
                rows = t[t[col] == pol]
                if schema.SENTIMENT_SCORE in rows.columns:
                    scores = pd.to_numeric(rows[schema.SENTIMENT_SCORE], errors="coerce")
                    rows = rows.loc[scores.sort_values(ascending=pol == "negative").index]
                for _, r in rows.head(3).iterrows():
                    blocks.append(f"<blockquote class='{pol}'>{highlight(str(r[self.text]), str(r.get(schema.EVIDENCE, '')), theme)}</blockquote>")
            if blocks:
                out.append(f"<div><h3>{_e(theme)}</h3>{''.join(blocks)}</div>")
        out.append("</div></section>")
        return "".join(out)

    def _html_segments(self) -> str:
        out = ["<section id='segments'><h2>Segments</h2>"]
        if not self.segments:
            out.append("<p class='note'>No segment column was given (use --segment).</p></section>")
            return "".join(out)
        for key, table in self.segments.items():
            metric, _, col = key.partition(":")
            name = "NPS" if metric == "nps" else "CSAT"
            out.append(f"<h3>{name} by {_e(col)}</h3>")
            if col in self.tagged.columns and metric in self.headline:
                out.append(_segment_scores_html(self.tagged, col, metric, self.headline))
            if table is None or table.empty:
                continue
            rows = table[(table["polarity"] != "any") & (table["segment"] != "All")]
            rows = rows[rows["theme"].str.count(r"\.") == 0]
            top = rows.reindex(rows["impact"].abs().sort_values(ascending=False).index).groupby("segment").head(3)
            out.append("<div class='scroll'>" + _simple_table(
                top.sort_values(["segment", "impact"])[["segment", "theme", "polarity", "n", "share", "gap", "impact",
                                                        "p_adjusted"]]) + "</div>")
        out.append("</section>")
        return "".join(out)

    def _html_trend(self) -> str:
        out = ["<section id='trend'><h2>Trend</h2>"]
        if self.trend is None or self.trend.empty:
            out.append("<p class='note'>No date column was given (use --date).</p></section>")
            return "".join(out)
        out.append(f"<div class='chart'>{_trend_chart(self.trend)}</div>")
        cols = ["period", "value", "ci_low", "ci_high", "n", "change_significant"]
        out.append("<div class='scroll'>" + _simple_table(self.trend[[c for c in cols if c in self.trend.columns]])
                   + "</div></section>")
        return "".join(out)

    def _html_follow_up(self) -> str:
        out = ["<section id='follow-up'><h2>Close the loop</h2>"]
        if self.follow_up is None or self.follow_up.empty:
            out.append("<p class='note'>No detractor or dissatisfied answer to follow up.</p></section>")
            return "".join(out)
        f = self.follow_up.head(50).drop(columns=[c for c in (schema.EVIDENCE,) if c in self.follow_up.columns])
        out.append(f"<p class='note'>{len(self.follow_up):,} respondents to call back (detractors and CSAT 1–2), "
                   "most severe first; the first 50 are shown. Personal data is redacted.</p>")
        out.append("<div class='scroll'>" + _simple_table(f) + "</div></section>")
        return "".join(out)

    def _html_method(self) -> str:
        return ("<section id='method' class='method'><h2>Method</h2><ul>"
                "<li><b>NPS</b> = % promoters (9–10) − % detractors (0–6) over valid answers; passives stay in the "
                "denominator; blanks and invalid answers are excluded and reported. SE = 100·√((p + d − (p − d)²)/n); "
                "95% interval = NPS ± 1.96·SE.</li>"
                "<li><b>CSAT</b> = % of answers in the top two boxes (4–5 on 1–5), with a Wilson 95% interval.</li>"
                "<li><b>Gap</b> = score among respondents who mention a theme − score among the rest, with a normal "
                "95% interval; <b>p</b> from a two-sided z-test, adjusted with Benjamini–Hochberg across the table.</li>"
                "<li><b>Impact</b> (leave-one-out) = score of all − score without the mentioners = share × gap; its "
                "95% interval comes from a seeded bootstrap that resamples respondents.</li>"
                "<li><b>Relative weight</b>: Johnson's relative weights of the negative and positive theme indicators in a "
                "regression of the raw score; they add up to the model's R².</li>"
                "<li><b>Kano</b> (penalty–reward): a significant penalty for negative mentions with little reward for "
                "positive ones is a must-have; the reverse a delighter; both a performance theme; neither indifferent.</li>"
                "<li>Rows resting on fewer than 30 respondents are greyed (low n).</li>"
                "<li>Themes and sentiment come from voc's codeframe rules and sentiment model; comments shown here have "
                "phone numbers, emails and ID/card numbers redacted.</li></ul></section>")

    # -- Excel / Markdown ---------------------------------------------------------------------------------
    def to_excel(self, path: str | Path) -> Path:
        """One sheet per table (Summary, Drivers NPS, Drivers CSAT, Segments, Trend, Follow-up, Tagged)."""
        target = Path(path)
        sheets: dict[str, pd.DataFrame] = {"Summary": self._summary_frame()}
        for metric, table in self.drivers.items():
            sheets[f"Drivers {metric.upper()}"] = table
        for metric, table in self.importance.items():
            sheets[f"Importance {metric.upper()}"] = table
        if self.segments:
            sheets["Segments"] = pd.concat(
                [t.assign(metric=k.partition(":")[0]) for k, t in self.segments.items() if t is not None],
                ignore_index=True)
        if self.trend is not None:
            sheets["Trend"] = self.trend
        if self.follow_up is not None:
            sheets["Follow-up"] = self.follow_up
        sheets["Tagged"] = self.tagged
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                _excel_safe(frame).to_excel(xw, sheet_name=name[:31], index=False)
        _atomic_write(target, buf.getvalue())
        return target

    def _summary_frame(self) -> pd.DataFrame:
        rows = []
        for metric, s in self.headline.items():
            rows.append({"metric": metric, "value": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high, "n": s.n,
                         "blank": s.n_missing, "invalid": s.n_invalid, **{k: v for k, v in s.shares.items()}})
        for f in self.findings():
            rows.append({"metric": "finding", "value": None, "note": f})
        for n in self.notes:
            rows.append({"metric": "note", "value": None, "note": n})
        return pd.DataFrame(rows)

    def to_markdown(self, path: str | Path | None = None) -> str:
        """Headline, findings, the top 15 rows of each driver table, and data notes."""
        lines = [f"# {self.title}", "", f"{self.source} · {len(self.tagged):,} responses · {self.generated_at}", ""]
        for s in self.headline.values():
            lines.append(f"- **{s.label()}**")
        lines += ["", "## Key findings", ""] + ([f"- {f}" for f in self.findings()] or ["- no significant driver"])
        for metric, table in self.drivers.items():
            lines += ["", f"## {metric.upper()} drivers", ""]
            if table is None or table.empty:
                lines.append(table.attrs.get("explanation", "No rows.") if table is not None else "No rows.")
                continue
            cols = ["theme", "polarity", "n", "share", "gap", "impact", "impact_ci_low", "impact_ci_high", "p_adjusted",
                    "kano"]
            lines.append(_markdown_table(table.head(15)[cols]))
        if self.notes:
            lines += ["", "## Data notes", ""] + [f"- {n}" for n in self.notes]
        text = "\n".join(lines) + "\n"
        if path is not None:
            _atomic_write(Path(path), text.encode("utf-8"))
        return text

    def save(self, path: str | Path) -> Path:
        """Write by extension: .html/.htm, .xlsx or .md (atomically: a failure leaves no partial file)."""
        p = Path(path)
        ext = p.suffix.lower()
        if ext in (".html", ".htm"):
            self.to_html(p)
        elif ext == ".xlsx":
            self.to_excel(p)
        elif ext == ".md":
            self.to_markdown(p)
        else:
            raise InputError(f"report output must end in .html, .xlsx or .md, not {p.name!r}")
        return p


# -- helpers -------------------------------------------------------------------------------------------------
def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def highlight(comment: str, evidence: str, theme: str | None = None) -> str:
    """HTML of ``comment`` with the evidence spans (of ``theme`` when given) in <mark>, everything escaped."""
    spans = []
    for item in (evidence or "").split("|"):
        m = _EVIDENCE.match(item)
        if not m:
            continue
        if theme and not m["code"].startswith(theme + ".") and m["code"] != theme:
            continue
        s, e = int(m["start"]), int(m["end"])
        if 0 <= s < e <= len(comment) and comment[s:e] == m["span"]:
            spans.append((s, e))
    out, pos = [], 0
    for s, e in sorted(set(spans)):
        if s < pos:
            continue
        out.append(_e(comment[pos:s]) + f"<mark>{_e(comment[s:e])}</mark>")
        pos = e
    out.append(_e(comment[pos:]))
    return "".join(out)


def _fmt(v: Any, col: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if col in ("share",) or col.startswith(("promoters", "passives", "detractors")):
        return f"{v:.1%}"
    if col in ("p_value", "p_adjusted"):
        return "<0.001" if v < 0.001 else f"{v:.3f}"
    if col == "relative_weight":
        return f"{v:.3f}"
    if isinstance(v, float):
        return f"{v:+.1f}" if col in ("gap", "impact", "score_with", "score_without", "gap_ci_low", "gap_ci_high",
                                      "impact_ci_low", "impact_ci_high", "value", "ci_low", "ci_high") else f"{v:.2f}"
    return str(v)


def _driver_table_html(t: pd.DataFrame) -> str:
    cols = ["theme", "polarity", "n", "share", "score_with", "score_without", "gap", "impact", "impact_ci_low",
            "impact_ci_high", "p_adjusted", "relative_weight", "kano"]
    head = "".join(f"<th class='{'l' if c in ('theme', 'polarity', 'kano') else ''}'>{c.replace('_', ' ')}</th>" for c in cols)
    body = []
    for r in t.to_dict("records"):
        cls = " class='lown'" if r.get("low_n") else ""
        cells = []
        for c in cols:
            v = r.get(c)
            txt = _fmt(v, c)
            if c == "p_adjusted" and isinstance(v, float) and v < 0.05:
                txt += " *"
            kls = "l" if c in ("theme", "polarity", "kano") else ""
            if c == "impact" and isinstance(v, float) and not math.isnan(v):
                kls += " neg" if v < 0 else " pos"
            cells.append(f"<td class='{kls.strip()}'>{_e(txt)}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            "<p class='note'>* significant after Benjamini–Hochberg (p &lt; 0.05). Grey rows: fewer than 30 respondents.</p>")


def _simple_table(t: pd.DataFrame) -> str:
    cols = list(t.columns)
    head = "".join(f"<th class='l'>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td class='l'>{_e(_fmt(r[c], str(c)))}</td>" for c in cols) + "</tr>"
                   for r in t.to_dict("records"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _segment_scores_html(tagged: pd.DataFrame, col: str, metric: str, headline: dict[str, Any]) -> str:
    from voc.metrics import csat, nps

    rows = []
    keys = tagged[col].fillna("(blank)").astype(str)
    score_col = next((c for c in tagged.columns if c.lower() == metric), None)
    if score_col is None:
        return ""
    for k in sorted(keys.unique()):
        s = (nps if metric == "nps" else csat)(tagged.loc[keys == k, score_col])
        rows.append({col: k, "n": s.n, "value": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high})
    return "<div class='scroll'>" + _simple_table(pd.DataFrame(rows)) + "</div>"


def _markdown_table(t: pd.DataFrame) -> str:
    cols = list(t.columns)
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for r in t.to_dict("records"):
        lines.append("| " + " | ".join(_fmt(r[c], c).replace("|", "/") for c in cols) + " |")
    return "\n".join(lines)


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    svg = buf.getvalue()
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)  # no creator/licence links
    return svg


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.fonttype": "path"})
    return plt


def _impact_chart(table: pd.DataFrame, name: str) -> str:
    plt = _plt()
    t = table[table["polarity"] != "any"]
    t = t.reindex(t["impact"].abs().sort_values(ascending=False).index).head(12).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.2, 0.34 * len(t) + 1.2))
    labels = [f"{r.theme} ({r.polarity[:3]})" for r in t.itertuples()]
    err = [t["impact"] - t["impact_ci_low"], t["impact_ci_high"] - t["impact"]]
    ax.barh(labels, t["impact"], xerr=err, color=[_POL_COLOURS.get(p, "#888") for p in t["polarity"]],
            error_kw={"elinewidth": 0.8, "ecolor": "#333", "capsize": 2})
    ax.axvline(0, color="#333", lw=0.8)
    ax.set_xlabel(f"leave-one-out impact on {name} (points, 95% bootstrap CI)")
    ax.set_title(f"Top {name} drivers", loc="left", fontsize=10)
    return _svg(fig)


def _quadrant_chart(table: pd.DataFrame, name: str) -> str:
    plt = _plt()
    t = table[table["polarity"] != "any"]
    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    if not t.empty:
        ax.scatter(t["share"] * 100, t["gap"], s=20 + 600 * t["share"], alpha=0.6,
                   c=[_POL_COLOURS.get(p, "#888") for p in t["polarity"]], edgecolors="white")
        for r in t.itertuples():
            ax.annotate(f"{r.theme} {r.polarity[:3]}", (r.share * 100, r.gap), fontsize=7, xytext=(4, 3),
                        textcoords="offset points")
    ax.axhline(0, color="#333", lw=0.8)
    ax.set_xlabel("share of responses mentioning (%)")
    ax.set_ylabel(f"{name} gap (mentioners − rest)")
    ax.set_title("Where to act: big share and big gap", loc="left", fontsize=10)
    return _svg(fig)


def _trend_chart(trend: pd.DataFrame) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    x = list(range(len(trend)))
    v = pd.to_numeric(trend["value"], errors="coerce")
    ax.plot(x, v, marker="o", color="#2f5d8a")
    lo = pd.to_numeric(trend["ci_low"], errors="coerce")
    hi = pd.to_numeric(trend["ci_high"], errors="coerce")
    ax.fill_between(x, lo, hi, color="#2f5d8a", alpha=0.15, lw=0)
    for i, flag in enumerate(trend.get("change_significant", [False] * len(trend))):
        if flag:
            ax.annotate("significant change", (i, v.iloc[i]), xytext=(0, -18), textcoords="offset points",
                        ha="center", fontsize=8, color="#d1495b")
    ax.set_xticks(x)
    ax.set_xticklabels(trend["period"].astype(str))
    metric = str(trend["metric"].iloc[0]).upper() if "metric" in trend.columns and len(trend) else ""
    ax.set_title(f"{metric} by period (95% CI band)", loc="left", fontsize=10)
    return _svg(fig)


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith(("str", "string")):
            out[c] = out[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v)[:32_000] if isinstance(v, str) else v)
    return out


def _atomic_write(target: Path, data: bytes) -> None:
    if not target.parent.exists():
        raise InputError(f"folder {target.parent} does not exist; create it or choose another output path")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # an ordinary file, not mkstemp's private 0600
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
