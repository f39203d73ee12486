"""Text from data shown inert: Streamlit renders most strings as Markdown, records must not be.

A ledger title, a unit's name, an area name or a refusal that quotes a cell of an imported file
is data, not layout: written into ``st.markdown``, ``st.caption``, ``st.subheader`` or an alert
as it is, ``![x](https://tracker/p.png)`` would load an image from anywhere (a tracking pixel),
``[safe](https://elsewhere)`` would be a link that says something else, and ``:red[...]`` or
``$...$`` would change how it looks. :func:`plain` backslash-escapes every ASCII punctuation
character (CommonMark shows each as itself), so none of that is parsed: the text reads the same,
character for character. Every page passes such values through it; a page test walks the app
with such strings in every text field and finds no image, link or directive in what is rendered.
"""

from __future__ import annotations

import html
import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(value) -> str:
    """``value`` as Markdown that renders as exactly its text (``None`` as the empty string)."""
    if value is None:
        return ""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # leading spaces would make an indented code block; a line break inside a value stays a line break
    return "  \n".join(_PUNCTUATION.sub(r"\\\1", line.strip()) for line in lines)


def html_text(value) -> str:
    """``value`` for a block of HTML rendered through ``st.markdown(..., unsafe_allow_html=True)``:
    escaped, and on one line, since a blank line would end the HTML block and let what follows be
    read as Markdown."""
    if value is None:
        return ""
    return html.escape(" ".join(str(value).split()))
