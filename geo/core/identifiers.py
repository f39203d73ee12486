"""Personal identifiers in free text: found and masked before anything is stored.

SafeGrid records events and places, never people. Any text a clerk types or a file carries
(titles, descriptions, addresses, unit and team names, categories) may still hold a resident
ID or a phone number; each one found is replaced by a fixed token, and the rest of the text
is kept exactly as written.

How a number is found:

1. The text is folded to a plain form, one character at a time: NFKC (full-width digits and
   letters become ASCII, U+3000 a space), every other decimal digit becomes 0-9, Unicode
   dashes become ``-``, spaces ``' '``, invisible format characters (zero-width space,
   soft hyphen) are dropped. An index map remembers where each folded character came
   from, so a match is cut out of the ORIGINAL text.
2. A *run* is digit groups joined by short separators (up to three of space ``-`` ``.``
   ``(`` ``)``). An identifier is one or more whole groups of a run whose digits, put
   together, have the shape of an ID or a phone number. Requiring whole groups keeps long
   codes safe: ``JX2026041200123`` or a 22-digit case number is one group that is no
   identifier, and nothing is cut out of its middle.
3. Dots are decimal points unless they separate at least three groups, each of three digits
   or more after the first (``138.1234.5678``): so ``121.473701``, ``133.12345678`` and
   ``183.121.100.20`` are not phone numbers.

Resident IDs: 18 characters (6-digit region, birth date 1800-2099 with a possible month and
day, 3-digit sequence, a digit or X) or the 15-digit legacy form. The ISO 7064 check digit
is deliberately NOT required: a real number with one mistyped digit still points at one
person, and about one look-alike in eleven passes the check anyway, so it would lose real
IDs while barely sparing look-alikes. The rule is generous masking: a number that only looks
like an identifier is cheap to lose.

Examples
--------
>>> mask_pii("报警人１３８　１２３４　５６７８，已处置")
('报警人[电话已隐藏/phone removed]，已处置', 1)
>>> mask_pii("案件编号 JX2026041200123，2026-04-12 10:30")
('案件编号 JX2026041200123，2026-04-12 10:30', 0)
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from geo.core.textscan import contains

ID_TOKEN = "[证件号已隐藏/ID removed]"
PHONE_TOKEN = "[电话已隐藏/phone removed]"

LONGEST = 18  # digits in the longest identifier (an 18-character resident ID)
SHORTEST = 10  # digits in the shortest (a landline with a 3-digit area code and 7 digits, a US number)
MAX_SEPARATOR = 3  # characters between two digit groups of one number

# ---- folding ---------------------------------------------------------------------------------

_DOTS = "\u00b7\u2027\u30fb"  # middle dots used as separators: · ‧ ・
_SEPARATORS = " .-()"
_SLASHES = "\u3001\uff0f\u2215"  # 、 ／ ∕ between digit groups (a list comma, full-width and division slashes)


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """The plain form of one non-ASCII character (may be empty or several characters)."""
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return ""
    if cat == "Pd" or ch == "\u2212":
        return "-"
    if cat.startswith("Z") or ch.isspace():
        return " "
    if ch in _DOTS:
        return "."
    if ch in _SLASHES:
        return "-"
    if cat == "Nd":
        return str(unicodedata.decimal(ch))
    plain = unicodedata.normalize("NFKC", ch)
    if not cat.startswith("N") and any("0" <= c <= "9" for c in plain):
        return ch  # a symbol such as ㋀ (January) is not a digit for this purpose
    return plain


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character; remembers which resize."""

    def __init__(self):
        super().__init__({c: " " for c in range(128) if chr(c).isspace()})
        self[ord("/")] = "-"  # 139/0771/2468: a slash joins digit groups as a dash does
        self.resizing: set[str] = set()  # characters folded to nothing or to several characters

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        plain = ch if code < 128 else _fold_char(ch)
        if len(plain) != 1:
            self.resizing.add(ch)
        self[code] = plain
        return plain


_TABLE = _FoldTable()


def fold(text: str) -> tuple[str, list[int] | None]:
    """The text in plain form, and for each plain character the index it came from.

    ``None`` as the map means "one to one": each character folded to exactly one.
    """
    plain = text.translate(_TABLE)
    if len(plain) == len(text) and _TABLE.resizing.isdisjoint(text):
        return plain, None
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(_TABLE[ord(ch)]))
    return plain, origin


# ---- finding -----------------------------------------------------------------------------------

_RUN = re.compile(r"[0-9]+(?:[ .\-()]{1,%d}[0-9]+)*" % MAX_SEPARATOR)
_GROUP = re.compile(r"[0-9]+")
_CHECK_X = re.compile(r"[ \-]?[Xx]")
_EXTENSION = re.compile(r"(?:[ ]{0,2}(?:转|分机号?|ext\.?|x|#)[ ]{0,2}|-)[0-9]{1,6}(?![0-9])", re.IGNORECASE)

_BIRTH = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"  # month and day, roughly
_ID18 = re.compile(rf"[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_BIRTH}[0-9]{{3}}[0-9X]")
_ID15 = re.compile(rf"[1-9][0-9]{{5}}[0-9]{{2}}{_BIRTH}[0-9]{{3}}")
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"  # mainland area codes without their leading 0
_MOBILE = re.compile(r"(?:(?:00)?86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(rf"0{_AREA}[0-9]{{7,8}}|(?:00)?860?{_AREA}[0-9]{{7,8}}")
_NORTH_AMERICA = re.compile(r"1?[2-9][0-9]{2}[0-9]{3}[0-9]{4}")


def _kind(digits: str, sizes: list[int]) -> str | None:
    """``"id"``, ``"phone"`` or None for the digits of whole groups (``sizes``: digits per group)."""
    if _ID18.fullmatch(digits) or _ID15.fullmatch(digits):
        return "id"
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return "phone"
    if sizes in ([3, 3, 4], [1, 3, 3, 4]) and _NORTH_AMERICA.fullmatch(digits):
        return "phone"  # North-American numbers only in their usual 3-3-4 grouping
    return None


def _dots_allowed(separators: list[str], sizes: list[int]) -> bool:
    """Dots separate a number's groups only as in 138.1234.5678 (else they are decimal points)."""
    dotted = sum("." in s for s in separators)
    return dotted == 0 or (dotted >= 2 and min(sizes[1:]) >= 3)


def _date_groups(plain: str, groups: list[tuple[int, int]]) -> set[int]:
    """Indices of groups that form a written date (2024-03-01, 2024/3/1, 2024.03.01): never part of a
    number, so a date range such as 2024-03-01 - 2024-03-31 is not read as a phone number."""
    found: set[int] = set()
    for k in range(len(groups) - 2):
        (a0, b0), (a1, b1), (a2, b2) = groups[k:k + 3]
        if b0 - a0 != 4 or not (1 <= b1 - a1 <= 2 and 1 <= b2 - a2 <= 2):
            continue
        if plain[b0:a1] not in ("-", ".") or plain[b1:a2] != plain[b0:a1]:
            continue
        year, month, day = int(plain[a0:b0]), int(plain[a1:b1]), int(plain[a2:b2])
        if 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31:
            found |= {k, k + 1, k + 2}
    return found


def _longest(plain: str, groups: list[tuple[int, int]], first: int, dates: set[int] = frozenset()
             ) -> tuple[int, int, str, int] | None:
    """The longest identifier made of whole groups from ``groups[first]`` on: (start, end, kind, last group)."""
    best = None
    digits = ""
    for last in range(first, len(groups)):
        if last in dates:
            break
        digits += plain[groups[last][0]:groups[last][1]]
        if len(digits) > LONGEST:
            break
        if len(digits) < SHORTEST:
            continue
        end = groups[last][1]
        candidate = digits
        if len(digits) == LONGEST - 1:
            x = _CHECK_X.match(plain, end)
            if x:
                candidate, end = digits + "X", x.end()
        sizes = [b - a for a, b in groups[first:last + 1]]
        kind = _kind(candidate, sizes)
        if kind is None:
            continue
        if _dots_allowed([plain[groups[k][1]:groups[k + 1][0]] for k in range(first, last)], sizes):
            best = (groups[first][0], end, kind, last)
    return best


def find_identifiers(plain: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, kind)`` of identifiers in folded text (see :func:`fold`)."""
    found = []
    for run in _RUN.finditer(plain):
        if run.end() - run.start() < SHORTEST:
            continue
        groups = [m.span() for m in _GROUP.finditer(plain, run.start(), run.end())]
        if sum(b - a for a, b in groups) < SHORTEST:
            continue
        dates = _date_groups(plain, groups)
        i = 0
        while i < len(groups):
            if i in dates:
                i += 1
                continue
            hit = _longest(plain, groups, i, dates)
            if hit is None:
                i += 1
                continue
            start, end, kind, last = hit
            if kind == "phone":
                ext = _EXTENSION.match(plain, end)
                end = ext.end() if ext else end
                if start > 0 and plain[start - 1] == "+":
                    start -= 1
            if start > 0 and plain[start - 1] == "(" and ")" in plain[start:end]:
                start -= 1
            found.append((start, end, kind))
            i = last + 1
            while i < len(groups) and groups[i][0] < end:
                i += 1
    return found


# ---- masking -----------------------------------------------------------------------------------

_TOKENS = {"id": ID_TOKEN, "phone": PHONE_TOKEN}


def mask_pii(text: str) -> tuple[str, int]:
    """Mask resident ID and phone numbers in one string; return (text, number masked).

    Only the identifier's own characters are replaced; everything around it is kept as
    written (full-width, Chinese, spacing).
    """
    plain, origin = fold(text)
    spans = find_identifiers(plain)
    if not spans:
        return text, 0
    out = []
    pos = 0
    for start, end, kind in spans:
        a, b = (start, end) if origin is None else (origin[start], origin[end - 1] + 1)
        out += [text[pos:a], _TOKENS[kind]]
        pos = b
    out.append(text[pos:])
    return "".join(out), len(spans)


# The prefilter (RE2, via pyarrow): ten digits, each pair apart by at most MAX_SEPARATOR
# characters that fold to a separator (plus any number of invisible ones), or any character
# such as ⑬ that folds to several digits (all are \p{No}). Every identifier has at least ten
# digits joined so, hence a text the prefilter misses holds none. A test checks over all of
# Unicode that whatever fold() turns into a digit, a separator or nothing is covered here.
_GAP = (r"[\s\p{Z}\p{Pd}\x{0B}\x{1C}-\x{1F}\x{85}.()/\x{3001}\x{FF0F}\x{2215}\x{B7}\x{2027}\x{30FB}\x{2212}\x{2024}-\x{2026}"
        r"\x{207D}\x{207E}\x{208D}\x{208E}\x{FE19}\x{FE30}\x{FE35}\x{FE36}\x{FE52}\x{FE59}\x{FE5A}"
        r"\x{FF08}\x{FF09}\x{FF0E}]")
_INVISIBLE = r"\p{Cf}*"
_CANDIDATE = r"\pN(?:%s(?:%s%s){0,%d}\pN){9}|\p{No}" % (_INVISIBLE, _GAP, _INVISIBLE, MAX_SEPARATOR)


def mask_pii_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`mask_pii` over a text column, with an RE2 prefilter so clean rows cost little.

    Returns the masked column and, per row, how many identifiers were masked. Missing
    values stay missing.
    """
    text = values.astype("string")
    counts = pd.Series(0, index=values.index, dtype=int)
    suspect = pd.Series(contains(text, _CANDIDATE), index=values.index)
    if suspect.any():
        results = [mask_pii(v) for v in text[suspect].tolist()]
        text = text.copy()
        text[suspect] = [r[0] for r in results]
        counts[suspect] = [r[1] for r in results]
    return text.astype(object).where(text.notna(), None), counts
