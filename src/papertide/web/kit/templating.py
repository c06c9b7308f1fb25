"""The pages' Jinja environment: where templates live and the small formatting helpers they share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.requests import Request

from papertide import __version__
from papertide.author_names import author_path
from papertide.code_links import is_web_address
from papertide.taxonomy import CATEGORIES, POPULAR, describe
from papertide.text import short_authors, shown_authors, snippet
from papertide.web.kit.auth import csrf_token, page_user, sign_in_url
from papertide.web.kit.demo_note import demo_loaded_at
from papertide.web.kit.shown import PAGE_AUTHORS
from papertide.web.kit.viewer import viewer

TEMPLATES_DIR = Path(__file__).parents[1] / "templates"
STATIC_DIR = Path(__file__).parents[1] / "static"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(value: date | datetime | None) -> str:
    """A date as people read it, without the time of day: ``22 Oct 2024`` (English whatever the locale; a
    table rather than strftime, which a 200-comment discussion called 400 times)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else "undated"


def url_with(request: Request, path: str | None = None, **changes: str | Sequence[str] | None) -> str:
    """The current URL (or ``path``) with some query parameters replaced; None drops one."""
    params = [(key, value) for key, value in request.query_params.multi_items() if key not in changes]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        params.extend((key, item) for item in ([value] if isinstance(value, str) else value))
    query = urlencode(params)
    return f"{path or request.url.path}{'?' + query if query else ''}"


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """Escape ``text`` and set its Markdown `code spans` as <code>: the API's descriptions use them."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def here(request: Request) -> str:
    """This page's path and query: where a form on it sends the reader back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def static(path: str) -> str:
    """A static file's URL, versioned so a new release is not served stale caches."""
    return f"/static/{path}?v={__version__}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package; skip a stat per render
    )
    env.filters.update(
        day=day, short_authors=short_authors, snippet=snippet, category_name=describe, inline_code=inline_code,
        author_url=author_path, shown_authors=shown_authors,
    )
    env.tests["web_address"] = is_web_address
    env.globals.update(
        url_with=url_with,
        static=static,
        all_categories=CATEGORIES,
        popular_categories=POPULAR,
        csrf_token=csrf_token,
        page_user=page_user,
        viewer=viewer,
        sign_in_url=sign_in_url,
        here=here,
        page_authors=PAGE_AUTHORS,
        demo_loaded_at=demo_loaded_at,
    )
    return env


templates = Jinja2Templates(env=_environment())
