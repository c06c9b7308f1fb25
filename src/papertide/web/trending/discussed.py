"""The most discussed papers of the week: a tab beside Trending and New (``/api/v1/discussed`` in trending/api.py).

Counted from the comments everyone can read that were written in the last seven days (deleted and
hidden ones never count), most first; one index range of shown comments, then the listed papers by key.
The count is kept for the rest of the minute it was made in (a comment shows in the tab within a minute);
the cards a visitor sees are rendered once for as long as nothing on them changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from papertide.store.discussion.activity import Discussed, DiscussionActivity
from papertide.web.discussion.rendered import RenderedCache
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.schemas import PaperSummary, paper_summary
from papertide.web.kit.templating import templates
from papertide.web.kit.viewer import viewer

WEEK = timedelta(days=7)
PAGE_SIZE = 30

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True, slots=True)
class DiscussedPaper:
    paper: PaperSummary
    comments: int  # written this week, and shown

    @property
    def reason(self) -> str:
        return f"{self.comments} comment{'s' if self.comments != 1 else ''} this week"


# The week's count per (store, minute, limit): the tab and the API answer from it for the rest of the minute,
# and a new minute counts again. Counting reads a week of comment index entries (tens of thousands at 1M).
_counted: WeakKeyDictionary[DiscussionActivity, dict[tuple[datetime, int], list[Discussed]]] = WeakKeyDictionary()


def most_discussed(services: Services, limit: int) -> tuple[datetime, list[DiscussedPaper]]:
    """Since when comments count (to the minute), and the papers with most of them since, most first."""
    since = (services.accounts.now() - WEEK).replace(second=0, microsecond=0)
    activity = services.stores.discussion_activity
    cached = _counted.setdefault(activity, {})
    if (since, limit) not in cached:
        if len(cached) > 16:
            cached.clear()
        cached[since, limit] = activity.most_discussed(since, limit)
    counted = cached[since, limit]
    found = {stored.pk: stored for stored in services.store.get_many([c.paper_pk for c in counted])}
    return since, [DiscussedPaper(paper_summary(found[c.paper_pk]), c.comments) for c in counted if c.paper_pk in found]


@router.get("/discussed")
def discussed_page(request: Request, services: ServicesDep) -> Response:
    since, items = most_discussed(services, PAGE_SIZE)
    return templates.TemplateResponse(request, "discussed.html", {"cards": _cards(request, items), "since": since})


# Visitors' card lists by everything the cards show (web/discussion/rendered.py): 30 cards are most of the
# tab's time, and each minute's list is the same for every visitor until a paper or a count changes.
_visitor_cards = RenderedCache(16)


def _cards(request: Request, items: list[DiscussedPaper]) -> Markup:
    """The cards (_discussed_cards.html) as this reader sees them; a visitor's kept by their papers as
    summarised and counted just now, so a vote, an edit or a comment anywhere on them shows at once."""

    def render() -> Markup:
        return Markup(templates.get_template("_discussed_cards.html").render(request=request, items=items))

    reader = viewer(request)
    if reader.user is not None:
        return render()
    reader.prefetch(item.paper for item in items)
    key = tuple((item.paper.model_dump_json(), item.comments, reader.comments(item.paper)) for item in items)
    return _visitor_cards.get(key, render)
