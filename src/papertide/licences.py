"""Licence names for the addresses arXiv gives (OAI-PMH ``license``, the Kaggle snapshot): a reader sees
"CC BY 4.0", not a URL. An address this does not know is shown as it is."""

from __future__ import annotations

import re

_ARXIV = re.compile(r"^https?://arxiv\.org/licenses/nonexclusive-distrib/1\.0/?$", re.IGNORECASE)
_CREATIVE_COMMONS = re.compile(
    r"^https?://creativecommons\.org/(?:licenses/(?P<terms>by(?:-nc)?(?:-nd|-sa)?)|publicdomain/(?P<zero>zero))"
    r"/(?P<version>\d\.\d)/?$",
    re.IGNORECASE,
)


def licence_name(url: str | None) -> str | None:
    """A short name for a licence's address ("CC BY-NC-ND 4.0"), the address itself when unknown, None for none."""
    if not url:
        return None
    if _ARXIV.match(url):
        return "arXiv non-exclusive licence to distribute"
    match = _CREATIVE_COMMONS.match(url)
    if match is None:
        return url
    return f"CC0 {match['version']}" if match["zero"] else f"CC {match['terms'].upper()} {match['version']}"
