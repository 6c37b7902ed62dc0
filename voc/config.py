"""Every default of voc in one frozen dataclass; ``Config.from_toml`` reads overrides from a file.

The CLI builds a Config from its options; the library takes one (or uses the defaults). Nothing else
holds settings, so two Pipelines with different configs can live side by side in one process.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from voc.errors import ConfigError


@dataclass(frozen=True)
class Config:
    """Settings for every stage. All fields have working defaults.

    Example:
        >>> Config().convert
        'tw2sp'
        >>> Config().replace(convert="hk2s").convert
        'hk2s'
    """

    # normalise
    convert: str = "tw2sp"  #: OpenCC config to the internal script (no ".json"): tw2sp maps Taiwan phrases too; t2s, hk2s, tw2s
    redact_pii: bool = True  #: replace phones, emails, ID and bank-card numbers by <PHONE>, <EMAIL>, ...
    max_repeat: int = 3  #: longest run of one repeated character kept (好好好好好 -> 好好好)
    # segment
    segmenter: str = "auto"  #: "jieba" (own jieba.Tokenizer), "rjieba" (Rust port) or "auto" (rjieba if installed)
    user_dict: Path | None = None  #: extra jieba user dictionary, on top of the shipped lexicons/userdict.txt
    hmm: bool = True  #: jieba's HMM for unknown words
    # tag
    codeframe: Path | None = None  #: codeframe TOML; None = the shipped lexicons/codeframe.toml
    model_dir: Path | None = None  #: trained theme/sentiment model directory (voc train); None = rules only
    neutral_band: float = 0.05  #: |score| below this is "neutral"
    #: when the sentiment model gives p(neutral) below this, a text is neutral only at score 0: a near tie
    #: between positive and negative is a mixed text, not a neutral one (chosen on train-row validation)
    model_neutral_min: float = 0.2
    #: share of the sentiment model in a text's score where the lexicon also has a word (the rest is the
    #: lexicon's); chosen on train-row validation of the shipped model, where 0.7-0.9 tie
    model_weight: float = 0.8
    #: the model's share for a single clause: it was trained on whole reviews and misreads short clauses,
    #: so a clause leans on the lexicon (chosen with model_weight, on the same validation)
    clause_model_weight: float = 0.25
    #: a theme whose clauses have no lexicon word gets this share of the model's clause score, the rest
    #: from the whole text's score (the clause alone is too short for the model to be trusted fully)
    theme_clause_model_share: float = 0.3
    short_text_chars: int = 8  #: texts shorter than this lean on the lexicon when it has a sentiment word
    max_text_chars: int = 20_000  #: longer texts are tagged on their first max_text_chars characters (flagged)
    theme_model_threshold: float = 0.5  #: probability above which a trained theme model adds a mention
    # metrics / drivers
    nps_promoter_min: int = 9
    nps_detractor_max: int = 6
    csat_scale: int = 5
    csat_top_box: int = 2  #: CSAT counts the top N boxes (2 -> 4 and 5 on a 1-5 scale)
    bootstrap: int = 1000
    seed: int = 0
    low_n: int = 30
    period: str = "M"  #: "W" (week) or "M" (month) for trend views
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    def replace(self, **changes: object) -> Config:
        """A copy with some fields changed (None values are ignored, so CLI defaults pass through)."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        """Read a ``[voc]`` table (or top-level keys) from a TOML file."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {p} not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: {exc}") from exc
        data = data.get("voc", data)
        paths = {"user_dict", "codeframe", "model_dir"}
        data = {k: (Path(v) if k in paths and v else v) for k, v in data.items()}
        return cls().replace(**data)
