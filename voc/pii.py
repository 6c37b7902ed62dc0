"""Personal data: find it, redact it, and keep it out of the analysis.

What counts (each pattern tested, with look-alikes that are not personal data):

- **phones**: mainland mobiles (``13812345678``, ``+86 139 1234 5678``, ``0086-177...``, ``139-1234-5678``)
  and landlines (``010-62345678``, ``(021)54321234``); Taiwan mobiles (``0912-345-678``, ``+886 912 345 678``)
  and landlines (``(02) 2345-6789``); Hong Kong numbers with ``+852``/``852``, written ``9123 4567``, or
  eight bare digits right after a phone word (電話, 手機, WhatsApp, call, tel, ...);
- **emails**;
- **ID numbers**: mainland 18-digit (birth date and check character verified), Taiwan (letter + 9 digits,
  checksum), Hong Kong (``A123456(3)``, check digit);
- **bank cards**: 13-19 digits, an issuer prefix and a valid Luhn sum (not right after 订单号/单号/编号 or a
  letter: order and tracking numbers are not cards).

Prices (¥1380), dates (2024-03-15), times, quantities, room numbers and order numbers are left alone.

Two uses:

- **Output**: :func:`redact_text` and :func:`redact_frame` replace personal data in the text as given by
  the placeholders of :data:`PLACEHOLDERS` (nothing else changes: no cleanup, no script conversion).
  :class:`voc.normalise.Normaliser` uses the same finder, so reports show what the analysis saw.
- **Analysis**: redaction must never change the answer. :func:`pii_regions` gives the spans of a
  normalised text that hold personal data (a placeholder, or the raw value when redaction is off) together
  with the word that introduces it (手机, 电话, 邮箱, 身份证, ...: "我的手机<PHONE>" names a contact detail,
  not a phone that is slow). Clause splitting treats these spans as breaks, theme rules ignore them and
  the sentiment model reads :func:`without_pii`, so "我的手机13812345678物流很慢" is tagged like
  "我的物流很慢", whether the number was redacted or not.

Example:
    >>> redact_text("電話：0912-345-678，卡號 4111 1111 1111 1111")
    '電話：<PHONE>，卡號 <CARD>'
    >>> without_pii("我的手机<PHONE>物流很慢")
    '我的物流很慢'
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from voc._clean import _as_text, _back, clean
from voc.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PII_KINDS", "PLACEHOLDERS", "Redactor", "find_spans", "pii_regions", "redact_frame",
           "redact_text", "without_pii"]

#: kind -> the token that replaces it (in normalised texts and in redacted output)
PLACEHOLDERS: dict[str, str] = {
    "phone": "<PHONE>",
    "email": "<EMAIL>",
    "id_card": "<ID>",
    "bank_card": "<CARD>",
    "url": "<URL>",
    "mention": "<USER>",
}
#: the kinds that are personal data (``redact_pii`` governs them; URLs and mentions are links)
PII_KINDS: tuple[str, ...] = ("phone", "email", "id_card", "bank_card")

# ---------------------------------------------------------------------------------------------------
# Patterns and checksums
# ---------------------------------------------------------------------------------------------------
_TLD = r"(?:com|cn|net|org|hk|tw|io|me|ly|co|top|xyz|info|shop|vip|gov|edu)"
_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[!-~]*[A-Za-z0-9/#=&_%~+\-]"
    rf"|(?<![A-Za-z0-9@.\-])(?:[A-Za-z0-9\-]+\.)+{_TLD}(?:\.(?:cn|hk|tw))?(?::[0-9]+)?"
    r"(?:/[!-~]*[A-Za-z0-9/#=&_%~+\-])?(?![A-Za-z0-9])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
#: a user name holds a letter: "@0-2" (a span in the evidence column) is not a mention
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?=[\w\-]*[^\W\d_])[\w\-]{1,30}+(?!\.[A-Za-z]|@)")
THREE_DIGITS = re.compile(r"[0-9]{3}")

# mainland ID: region, birth date, sequence, check character (checksum verified in _valid_cn_id)
_ID_CN = re.compile(
    r"(?<![0-9])[1-9][0-9]{5} ?"  # region
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]) ?"  # birth date
    r"[0-9]{3}[0-9Xx](?![0-9])"  # sequence, check character
)
_ID_TW = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][1289][0-9]{8}(?![0-9])")
_ID_HK = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9]{6}(?:[(（][0-9Aa][)）]|[0-9Aa])(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![0-9A-Za-z\-])(?:[0-9]{4,6}(?:[ \-][0-9]{3,6}){2,4}|[0-9]{13,19})(?![0-9])")
_CC = r"(?:(?:\+|00)"  # country code, +86 or 0086 (the group is closed by each use)
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"  # mainland area code after the 0
_PHONE = re.compile(
    r"(?<![0-9+¥$￥.])(?:"
    rf"{_CC}86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{{4}}){{2}}"  # mainland mobile 138-1234-5678
    rf"|{_CC}86[ \-]?)?(?:\(0?{_AREA}\)|0{_AREA})[ \-]?[1-9][0-9]{{6,7}}"  # mainland landline 010-62345678
    rf"|(?:{_CC}886[ \-]?)|0)9[0-9]{{2}}[ \-]?[0-9]{{3}}[ \-]?[0-9]{{3}}"  # Taiwan mobile 0912-345-678
    rf"|(?:{_CC}886[ \-]?)\(?[2-8][0-9]{{0,2}}\)?|\(0[2-8][0-9]{{0,2}}\)|0[2-8][0-9]{{0,2}}-)"  # Taiwan fixed
    r"[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}"  # (02)2345-6789
    rf"|(?:{_CC}852)[ \-]?|\(852\) ?|852 )[2-35-79][0-9]{{3}}[ \-]?[0-9]{{4}}"  # Hong Kong with code
    r"|[569][0-9]{3} [0-9]{4}(?![0-9元块塊蚊萬万千百%.])"  # Hong Kong mobile written as 9123 4567
    r")(?![0-9])"
)
_PHONE_AFTER_WORD = re.compile(  # a bare 8-digit Hong Kong number right after a phone word
    r"(?:電話|电话|手機|手机|手提|聯絡|联络|聯繫|联系|致電|致电|熱線|热线|(?i:whatsapp|wts|tel|phone|mobile|call))"
    r"(?:號碼|号码|號|号)?(?:是|為|为)? ?[:：]? ?(?P<n>[2-35-79][0-9]{3}[ \-]?[0-9]{4})(?![0-9])"
)

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_TW_LETTERS = {c: v for v, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}


def _valid_cn_id(s: str) -> bool:
    d = s.replace(" ", "").upper()
    total = sum(int(c) * w for c, w in zip(d[:17], _CN_ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == d[17]


def _valid_tw_id(s: str) -> bool:
    code = _TW_LETTERS[s[0].upper()]
    digits = [code // 10, code % 10, *map(int, s[1:])]
    return sum(d * w for d, w in zip(digits, (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1), strict=True)) % 10 == 0


def _valid_hk_id(s: str) -> bool:
    s = s.upper().translate({ord("("): None, ord(")"): None, ord("（"): None, ord("）"): None})
    letters, digits, check = s[:-7], s[-7:-1], s[-1]
    values = [36] * (2 - len(letters)) + [ord(c) - 55 for c in letters] + [int(c) for c in digits]
    expected = (11 - sum(v * w for v, w in zip(values, (9, 8, 7, 6, 5, 4, 3, 2), strict=True)) % 11) % 11
    return ("A" if expected == 10 else str(expected)) == check


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_end(s: str) -> int:
    """Length of the longest prefix of ``s`` (whole groups) that is a plausible card number, else 0."""
    groups = re.split(r"([ \-])", s)  # keep separators so lengths add up
    for n in range(len(groups), 0, -2):
        digits = "".join(groups[:n:2])
        issuer = digits[0] in "3456" or "2221" <= digits[:4] <= "2720"  # Amex/JCB, Visa, Master, UnionPay
        if 13 <= len(digits) <= 19 and issuer and _luhn(digits):
            return len("".join(groups[:n]))
    return 0


#: (kind, regex, check) in priority order; check(matched text) -> length to redact (0 = not PII)
_PII_RULES: tuple[tuple[str, re.Pattern[str], Callable[[str], int]], ...] = (
    ("email", _EMAIL, len),
    ("id_card", _ID_CN, lambda s: len(s) if _valid_cn_id(s) else 0),
    ("id_card", _ID_TW, lambda s: len(s) if _valid_tw_id(s) else 0),
    ("id_card", _ID_HK, lambda s: len(s) if _valid_hk_id(s) else 0),
    ("bank_card", _CARD, _card_end),
    ("phone", _PHONE, len),
    ("phone", _PHONE_AFTER_WORD, len),
)

#: words before a card-shaped number that make it an order, tracking or product number
_NOT_A_CARD_BEFORE = re.compile(
    r"(?:订单|訂單|单号|單號|编号|編號|编码|編碼|运单|運單|货号|貨號|条码|條碼|流水|(?i:order|tracking|no\.?|sku))"
    r"(?:号|號|码|碼)?\s?[:：#]?\s?$"
)


def _check_card(text: str, s: int, e: int) -> int:
    if _NOT_A_CARD_BEFORE.search(text, max(0, s - 8), s):
        return 0
    return _card_end(text[s:e])


# ---------------------------------------------------------------------------------------------------
# Finding
# ---------------------------------------------------------------------------------------------------
def find_spans(text: str, *, pii: bool = True, links: bool = True) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of URLs, personal data and mentions in a CLEANED text, sorted.

    One pass with priorities: URLs first (their paths hold digit runs that look like phones), checksummed
    numbers before phones, emails before mentions; a span never overlaps an earlier one.

    Args:
        text: text after :func:`voc._clean.clean` (ASCII digits, no zero-width characters).
        pii: look for personal data (emails, IDs, cards, phones).
        links: look for URLs and @mentions.
    """
    found: list[tuple[int, int, str]] = []

    def add(s: int, e: int, kind: str) -> None:
        if e > s and all(e <= fs or s >= fe for fs, fe, _ in found):
            found.append((s, e, kind))

    if links and ("." in text or "://" in text):
        for m in _URL.finditer(text):
            add(m.start(), m.end(), "url")
    if pii and (THREE_DIGITS.search(text) or "@" in text):
        for kind, rx, check in _PII_RULES:
            for m in rx.finditer(text):
                s, e = m.span("n") if rx.groupindex else m.span()
                n = _check_card(text, s, e) if kind == "bank_card" else check(text[s:e])
                add(s, s + n, kind)
    if links and "@" in text:
        for m in _MENTION.finditer(text):
            add(m.start(), m.end(), "mention")
    found.sort()
    return found


class Redactor:
    """Replace personal data (and, with ``links``, URLs and @mentions) in texts as given.

    Args:
        pii: replace phones, emails, ID and bank-card numbers (default True).
        links: also replace URLs and @mentions (default False; :meth:`voc.normalise.Normaliser.redact`
            turns it on, as the normalised text has them replaced).

    Stateless apart from its settings: one Redactor serves many threads.

    Example:
        >>> Redactor().redact("請致電０９１２-３４５-６７８，謝謝")
        '請致電<PHONE>，謝謝'
    """

    def __init__(self, *, pii: bool = True, links: bool = False) -> None:
        self.pii = pii
        self.links = links
        hint = ["[0-9\uff10-\uff19@\uff20]"] if pii else []
        if links:
            hint.append("[.\uff0e@\uff20]")
        #: a cell without any of these characters holds nothing to redact (a cheap, vectorisable test)
        self.hint = "|".join(hint) or "(?!)"

    def __repr__(self) -> str:
        return f"Redactor(pii={self.pii}, links={self.links})"

    def spans(self, text: str | None) -> list[tuple[str, int, int]]:
        """``(kind, start, end)`` of what :meth:`redact` replaces, as spans of ``text`` as given."""
        original = _as_text(text)
        if not (self.pii or self.links):
            return []
        t, starts, ends = clean(original)
        found = find_spans(t, pii=self.pii, links=self.links)
        return [(kind, *_back(starts, ends, s, e)) for s, e, kind in found]

    def redact(self, text: str | None) -> str:
        """``text`` with each value found replaced by its placeholder; everything else as given."""
        original = _as_text(text)
        out: list[str] = []
        pos = 0
        for kind, s, e in self.spans(original):
            out.append(original[pos:s])
            out.append(PLACEHOLDERS[kind])
            pos = e
        out.append(original[pos:])
        return "".join(out)


_DEFAULT = Redactor()


def redact_text(text: str | None) -> str:
    """``text`` with phones, emails, ID and bank-card numbers replaced by placeholders ('' for None/NaN).

    Example:
        >>> redact_text("邮箱 li.wei@example.com，身份证110101199003077774")
        '邮箱 <EMAIL>，身份证<ID>'
    """
    return _DEFAULT.redact(text)


def redact_frame(df: pd.DataFrame, *, columns: Sequence[str] | None = None, keep: Sequence[str] = (),
                 id_columns: Sequence[str] = (), redactor: Redactor | None = None) -> pd.DataFrame:
    """A copy of ``df`` with personal data redacted in its free-text columns; ``df`` is not changed.

    Args:
        df: any frame (an output of voc, or the survey itself).
        columns: the columns to redact; default every column of object, string or categorical dtype.
        keep: columns passed through as they are (names not in ``df`` are ignored).
        id_columns: identifier columns: never altered, even when listed in ``columns`` (an id may look
            like a phone number).
        redactor: what to replace (default: personal data only, :func:`redact_text`).

    Only cells holding a digit or an '@' go through the full matcher (a vectorised test first); other
    cells, numbers and missing values are left as they are.

    Raises:
        InputError: a name in ``columns`` is not a column of ``df``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"id": ["13812345678"], "comment": ["电话13812345678，物流很慢"], "nps": [3]})
        >>> out = redact_frame(df, id_columns=["id"])
        >>> out["id"].tolist(), out["comment"].tolist()
        (['13812345678'], ['电话<PHONE>，物流很慢'])
    """
    import pandas as pd

    red = redactor or _DEFAULT
    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            have = ", ".join(map(str, df.columns))
            raise InputError(f"columns={list(columns)!r} names {missing[0]!r}, which is not a column of the "
                             f"frame; columns are: {have}. Pass only names from that list")
    skip = set(keep) | set(id_columns)
    out = df.copy(deep=False)
    for i, name in enumerate(df.columns):
        if name in skip or (columns is not None and name not in columns):
            continue
        col = df.iloc[:, i]
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if pd.api.types.is_object_dtype(cats.dtype) or pd.api.types.is_string_dtype(cats.dtype):
                new_cats = [red.redact(c) if isinstance(c, str) else c for c in cats]
                if len(set(new_cats)) == len(new_cats):
                    out.isetitem(i, col.cat.rename_categories(new_cats))
                else:  # two categories redact to one: plain values
                    out.isetitem(i, _redact_series(col.astype(object), red))
            continue
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out.isetitem(i, _redact_series(col, red))
    return out


def _redact_series(col: pd.Series, red: Redactor) -> pd.Series:
    """``col`` with its string cells redacted; only cells matching ``red.hint`` are looked at."""
    mask = col.str.contains(red.hint, regex=True, na=False)
    if not mask.any():
        return col.copy()
    new = col.copy()
    new[mask] = [red.redact(v) for v in col[mask].tolist()]
    return new


# ---------------------------------------------------------------------------------------------------
# Keeping personal data out of the analysis
# ---------------------------------------------------------------------------------------------------
_PII_PLACEHOLDER = re.compile("|".join(re.escape(PLACEHOLDERS[k]) for k in PII_KINDS))
#: the word that introduces a contact detail, right before it: 手机, 电话号码是, 邮箱：, 身份证号, ...
_LABEL = re.compile(
    r"(?:联系电话|聯絡電話|联系方式|聯絡方式|聯繫方式|手机|手機|手提|电话|電話|座机|座機|市话|市話|热线|熱線|联系|聯絡|聯繫"
    r"|致电|致電|邮箱|郵箱|信箱|电邮|電郵|身份证|身份證|身分證|证件|證件|银行卡|銀行卡|信用卡|卡"
    r"|(?i:e-?mail|mail|whatsapp|wts|tel|phone|mobile|call))"
    r"(?:字号|字號|号码|號碼|号|號|码|碼)?(?:是|为|為)?\s?[:：]?\s?$"
)
_LABEL_REACH = 10  #: longest label with its connectors, in characters
_REGION_HINT = re.compile(r"<|@|[0-9]{3}")


@lru_cache(maxsize=4096)
def pii_regions(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of a NORMALISED text that hold personal data, with the word introducing each; merged, sorted.

    A span is a placeholder of :data:`PII_KINDS` (``<PHONE>``, ...) or a value :func:`find_spans` finds
    (the text of a Normaliser with ``redact_pii=False``), extended back over a label such as 手机, 电话：
    or 身份证号. The analysis steps skip these spans, so tagging does not depend on redaction.

    Example:
        >>> pii_regions("我的手机<PHONE>物流很慢")
        ((2, 11),)
    """
    if not _REGION_HINT.search(text):
        return ()
    spans = [m.span() for m in _PII_PLACEHOLDER.finditer(text)] if "<" in text else []
    spans += [(s, e) for s, e, _ in find_spans(text, links=False)]
    if not spans:
        return ()
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        label = _LABEL.search(text, max(0, s - _LABEL_REACH), s)
        if label is not None:
            s = label.start()
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def without_pii(text: str) -> str:
    """``text`` (normalised) without its :func:`pii_regions`: what a model should read.

    Example:
        >>> without_pii("物流很慢，电话13812345678")
        '物流很慢，'
    """
    regions = pii_regions(text)
    if not regions:
        return text
    parts = []
    pos = 0
    for s, e in regions:
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    return "".join(parts)
