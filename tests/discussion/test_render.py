"""Comment Markdown: formatting and TeX survive; every known way of smuggling script in comes out inert."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from papertide.discussion.render import has_link, render_markdown

# After the OWASP XSS filter evasion cheat sheet: tags, handlers, URL schemes (also obfuscated and
# entity-encoded), SVG, data: URLs, CSS, and Markdown's own link and image syntax.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](%6A%61%76%61%73%63%72%69%70%74:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[click]("onmouseover=alert(1))',
    '[click](https://example.org "title\\" onmouseover=\\"alert(1)")',
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    '![x" onerror="alert(1)](https://evil.example/x.png)',
    "<javascript:alert(1)>",
    "[a]: javascript:alert(1)\n\n[a]",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "$<script>alert(1)</script>$",
    "$$</p><img src=x onerror=alert(1)>$$",
    "\\(<svg onload=alert(1)>\\)",
]

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"} | {
    f"h{n}" for n in range(1, 7)
}
_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}}


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_known_xss_payloads_render_inert(payload: str) -> None:
    parser = _Elements()
    parser.feed(render_markdown(payload))
    for tag, attributes in parser.found:
        assert tag in _TAGS, (tag, payload)
        assert set(attributes) <= _ATTRIBUTES.get(tag, set()), (tag, attributes)
        if tag == "a":
            href = (attributes.get("href") or "").strip().lower()
            assert urlsplit(href).scheme in {"", "http", "https", "mailto"}, href
            assert not href.startswith(("javascript", "data", "vbscript")), href
            assert attributes.get("rel") == "nofollow ugc"


def test_markdown_formats_and_links_are_nofollow() -> None:
    rendered = render_markdown("**bold** _it_ `code`\n\n- one\n- two\n\n> quoted\n\n[site](https://example.org/a)")
    assert "<strong>bold</strong>" in rendered and "<em>it</em>" in rendered and "<code>code</code>" in rendered
    assert "<li>one</li>" in rendered and "<blockquote>" in rendered
    assert '<a href="https://example.org/a" rel="nofollow ugc">site</a>' in rendered
    assert '<a href="mailto:x@example.org" rel="nofollow ugc">' in render_markdown("[m](mailto:x@example.org)")


def test_tex_is_left_for_katex_untouched_by_markdown() -> None:
    rendered = render_markdown(r"Loss $a_i * b_i$ and $$\sum_{i<n} x_i^2$$ and \[ f_{*} \] or \(a_b\)")
    assert r"$a_i * b_i$" in rendered  # not turned into emphasis
    assert r"$$\sum_{i&lt;n} x_i^2$$" in rendered  # escaped for HTML, KaTeX reads the text
    assert r"\[ f_{*} \]" in rendered and r"\(a_b\)" in rendered
    assert "<em>" not in rendered


def test_links_are_recognised_in_every_spelling() -> None:
    for text in ("[a](https://x.org)", "see https://x.org", "www.x.org", "<https://x.org>", "[a](/relative)"):
        assert has_link(text), text
    for text in ("no links here", "a $x$ formula", "email me at me at example dot org"):
        assert not has_link(text), text
