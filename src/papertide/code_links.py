"""Links to code, models and data that a paper names itself: GitHub, GitLab and Hugging Face URLs in its
abstract or arXiv comments ("code at https://github.com/x/y."), beside the repository a source gave; and
its project page, as a source gave it or as the text names it (a ``github.io`` site, or any address
right after "project page").

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
# Any web address, for project pages: a github.io site, or a full address right after "project page".
_ANY_URL = re.compile(
    r"(?<![\w.@/-])(?P<scheme>https?://)?(?P<host>(?:[a-z0-9-]+\.)+[a-z]{2,})(?P<path>/[^\s<>\"'`{}|\\^]*)?",
    re.IGNORECASE,
)
_PROJECT_HOST = re.compile(r"^[a-z0-9-]+\.github\.io$", re.IGNORECASE)
_PROJECT_WORDS = re.compile(r"project (?:page|website|site)|webpage|homepage", re.IGNORECASE)
_TRAILING = ".,;:!?*'\""
_PAIRS = {")": "(", "]": "["}
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)
PROJECT_SITE = "Project page"


@dataclass(frozen=True, slots=True)
class CodeLink:
    url: str
    site: str  # "GitHub", "GitLab", "Hugging Face", "Project page", or "Code" for another host a source gave
    found_in: str  # "source" (the source's link), "abstract" or "comments"
    kind: str = "code"  # "code" (a repository of code, models or data) or "project" (the project's page)


def code_links(
    source_url: str | None, abstract: str, comments: str | None, project_url: str | None = None
) -> list[CodeLink]:
    """The source's code and project links first, then those the abstract and comments name, each once,
    at most MAX_LINKS."""
    found: dict[str, CodeLink] = {}
    if source_url and is_web_address(source_url):
        host = re.sub(r"^https?://(?:www\.)?", "", source_url, flags=re.IGNORECASE).split("/", 1)[0].lower()
        found[_key(source_url)] = CodeLink(source_url, SITES.get(host, "Code"), "source")
    if project_url and is_web_address(project_url):
        found.setdefault(_key(project_url), CodeLink(project_url, PROJECT_SITE, "source", "project"))
    for where, text in (("abstract", abstract), ("comments", comments or "")):
        text = text.replace("\\_", "_")
        for match in _URL.finditer(text):
            path = _trimmed(match["path"])
            if len(path.strip("/")) < 2:  # the site itself, not a repository
                continue
            url = f"https://{match['host'].lower()}{path}"
            found.setdefault(_key(url), CodeLink(url, SITES[match["host"].lower()], where))
        for match in _ANY_URL.finditer(text):
            named = match["scheme"] and _PROJECT_WORDS.search(text, max(0, match.start() - 24), match.start())
            if not (_PROJECT_HOST.match(match["host"]) or named) or match["host"].lower() in _CODE_HOSTS:
                continue
            url = f"https://{match['host'].lower()}{_trimmed(match['path'] or '/')}"
            found.setdefault(_key(url), CodeLink(url, PROJECT_SITE, where, "project"))
    return list(found.values())[:MAX_LINKS]


_CODE_HOSTS = {*SITES, *(f"www.{host}" for host in SITES)}


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an http(s) address: only those become links (a source's ``javascript:`` would run)."""
    return bool(_WEB_ADDRESS.match(url))


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


# What a reader calls each source, for "from Hugging Face"; another source is named as it is.
SOURCE_NAMES = {
    "hf-daily": "Hugging Face", "oai": "arXiv", "arxiv": "arXiv", "kaggle": "the Kaggle arXiv snapshot",
    "jsonl": "a JSONL file",
}  # fmt: skip
_FOUND_IN_WORDS = {"abstract": "from the abstract", "comments": "from arXiv comments"}


def found_in_words(link: CodeLink, links_source: str | None) -> str:
    """Where ``link`` came from, in words: "from the abstract", "from arXiv comments", "from Hugging Face"."""
    if link.found_in in _FOUND_IN_WORDS:
        return _FOUND_IN_WORDS[link.found_in]
    if links_source in SOURCE_NAMES:
        return f"from {SOURCE_NAMES[links_source]}"
    return f"from the source ({links_source})" if links_source else "from the source"
