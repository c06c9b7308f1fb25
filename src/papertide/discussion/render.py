"""Comment Markdown to safe HTML: markdown-it-py (CommonMark, raw HTML off) then nh3 (a maintained
sanitiser, Rust's ammonia) with an allow-list, so nothing a comment says runs in a reader's browser.

Two layers on purpose: the Markdown renderer escapes HTML typed into a comment and refuses unsafe
link targets; the sanitiser then allows only the tags and link schemes below, whatever the first
layer let through. Images are not allowed at all (a picture from another host would tell it who reads
the page). TeX stays text, as in abstracts, for KaTeX to typeset in the browser: it is set aside
before the Markdown pass (which would read ``_`` and ``\\[`` as Markdown) and put back escaped.
"""

from __future__ import annotations

import html
import re
import secrets

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
    | {f"h{level}" for level in range(1, 7)}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc"

# Display math first ($$, \[ \]), then inline ($ $ within a line, \( \)), as KaTeX's auto-render reads them.
_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$[^\s$](?:[^$\n]*[^\s$])?\$", re.DOTALL)
# Text that is, or will be taken for, a link: Markdown links and autolinks, and bare addresses.
_BARE_LINK = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)|\bmailto:|<[a-z][a-z0-9+.-]*:")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def render_markdown(source: str) -> str:
    """The comment as sanitised HTML, TeX left as escaped text for KaTeX."""
    nonce = secrets.token_hex(6)
    formulas: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        formulas.append(match.group(0))
        return f"tex{nonce}n{len(formulas) - 1}x"

    rendered = _markdown.render(_MATH.sub(set_aside, source))
    clean = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    placeholder = re.compile(f"tex{nonce}n(\\d+)x")
    return placeholder.sub(lambda match: html.escape(formulas[int(match.group(1))], quote=False), clean)


def has_link(source: str) -> bool:
    """Whether the comment holds a link, written as Markdown or as a bare address (new accounts may not post one)."""
    if _BARE_LINK.search(source):
        return True
    return any(
        child.type == "link_open" for token in _markdown.parse(source) if token.children for child in token.children
    )
