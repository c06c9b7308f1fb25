"""Links to code, models and data that a paper names itself: GitHub, GitLab and Hugging Face URLs in its
abstract or arXiv comments ("code at https://github.com/x/y."), beside the repository a source gave.

Found by reading the stored text, so every paper shows them without another request to anyone. A URL
is cut where prose resumes: at whitespace, a TeX brace, or trailing punctuation and an unbalanced
closing bracket, which in running text end the sentence rather than the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SITES = {"github.com": "GitHub", "gitlab.com": "GitLab", "huggingface.co": "Hugging Face"}
MAX_LINKS = 8

_URL = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(?P<host>github\.com|gitlab\.com|huggingface\.co)"
    r"(?P<path>/[^\s<>\"'`{}|\\^]+)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?*'\""
_PAIRS = {")": "(", "]": "["}


@dataclass(frozen=True, slots=True)
class CodeLink:
    url: str
    site: str  # "GitHub", "GitLab" or "Hugging Face"
    found_in: str  # "source" (the source's code link), "abstract" or "comments"


def code_links(source_url: str | None, abstract: str, comments: str | None) -> list[CodeLink]:
    """The source's code link first, then those the abstract and comments name, each once, at most MAX_LINKS."""
    found: dict[str, CodeLink] = {}
    if source_url:
        host = re.sub(r"^https?://(?:www\.)?", "", source_url, flags=re.IGNORECASE).split("/", 1)[0].lower()
        found[_key(source_url)] = CodeLink(source_url, SITES.get(host, "Code"), "source")
    for where, text in (("abstract", abstract), ("comments", comments or "")):
        for match in _URL.finditer(text.replace("\\_", "_")):
            path = _trimmed(match["path"])
            if len(path.strip("/")) < 2:  # the site itself, not a repository
                continue
            url = f"https://{match['host'].lower()}{path}"
            found.setdefault(_key(url), CodeLink(url, SITES[match["host"].lower()], where))
    return list(found.values())[:MAX_LINKS]


def _trimmed(path: str) -> str:
    """The path without what ends the sentence around it: trailing punctuation, unbalanced brackets."""
    while path:
        last = path[-1]
        if last in _TRAILING or (last in _PAIRS and path.count(last) > path.count(_PAIRS[last])):
            path = path[:-1]
        else:
            break
    return path


def _key(url: str) -> str:
    """Two spellings of one address are one link: scheme, www, case, a trailing slash or .git aside."""
    bare = re.sub(r"^https?://(?:www\.)?", "", url, flags=re.IGNORECASE).lower().rstrip("/")
    return bare.removesuffix(".git")
