"""The library's pages and forms: upvotes, the save menu, "My library", collection pages.

Every form works without JavaScript: it posts (with the CSRF token) and is answered with a 303
back to the page it came from. ``static/app.js`` upgrades the vote and save buttons to ``fetch``
calls of the JSON API, so they change state without a reload. A signed-out reader who presses
one is sent to sign in and then back to the paper, where what they pressed is done (web/library/pending.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.errors import InvalidInput
from papertide.library.collections import Order
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.accounts.store import User
from papertide.web.feeds.links import collection_link
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, UserDep, local_path, sign_in_url, verify_csrf
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.params import CursorParam
from papertide.web.kit.templating import templates
from papertide.web.library import for_you, transfer
from papertide.web.library.pending import Action, PendingAction, remember
from papertide.web.library.schemas import collection_detail, collection_summary, for_you_item, import_result
from papertide.web.library.uploads import UploadDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

BackField = Annotated[str | None, Form(alias="next", description="The page to return to (a local path).")]
OrderParam = Annotated[Order, Query(description="`newest` or `oldest` saved first.")]


def paper_path(paper_id: str) -> str:
    return f"/paper/{quote(paper_id)}"


def collection_path(public_id: str) -> str:
    return f"/library/{public_id}"


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# -- exports and imports (exports declared before /c/{public_id}, which would take "x.bib" for an id) --


@router.get("/c/{public_id}.bib")
def export_bibtex(services: ServicesDep, user: OptionalUserDep, public_id: str) -> Response:
    """The whole collection as BibTeX, for a public collection or the owner's own."""
    return transfer.bibtex_download(services, user, public_id)


@router.get("/c/{public_id}.json")
def export_json(services: ServicesDep, user: OptionalUserDep, public_id: str) -> Response:
    collections = services.library.collections
    everything = collections.all_papers(collections.visible(user, public_id))
    body = collection_detail(everything, services.site.current()).model_dump_json(indent=2)
    return transfer.download(body, "application/json", transfer.file_name(everything.collection.name, "json"))


@router.post("/library/import", response_class=HTMLResponse, dependencies=transfer.UPLOAD_ROUTE)
def import_page(request: Request, services: ServicesDep, user: UserDep, upload: UploadDep) -> Response:
    """Import from the library page's form; the answer lists what matched and what did not."""
    try:
        report = transfer.run_import(services, user, upload.filename, upload.data, upload.fields.get("collection", ""))
    except InvalidInput as exc:  # a malformed or oversized file: said on the page, nothing imported
        context = {"error": exc.message, "filename": upload.filename}
        return templates.TemplateResponse(request, "import_result.html", context, status_code=exc.status_code)
    context = {"result": import_result(report, services.site.current()), "filename": upload.filename}
    return templates.TemplateResponse(request, "import_result.html", context)


# -- the buttons on every paper ------------------------------------------------------------------
# Writes are plain functions: FastAPI runs them on a worker thread, so a write waiting for the
# database lock never holds up the event loop.


async def reader_or_none(request: Request, services: ServicesDep, user: OptionalUserDep) -> User | None:
    """The signed-in reader, whose form must carry the CSRF token; None for a visitor, whose press
    changes nothing but a redirect to sign in (so a card's button needs no token for visitors), and
    is done once they have signed in (web/library/pending.py).
    """
    if user is not None:
        await verify_csrf(request, services)
    return user


ReaderDep = Annotated[User | None, Depends(reader_or_none)]


def ask_to_sign_in(request: Request, services: Services, paper_id: str, pending: PendingAction | None) -> Response:
    """To the sign-in page, then back to the paper, where ``pending`` will have been done."""
    response = see_other(sign_in_url(paper_path(paper_id)))
    if pending is not None:
        remember(request, response, services, pending)
    return response


@router.post("/paper/{paper_id:path}/vote")
def vote(
    request: Request,
    services: ServicesDep,
    user: ReaderDep,
    paper_id: str,
    voted: Annotated[bool, Form()] = True,
    back: BackField = None,
) -> Response:
    """Set the reader's vote to ``voted``."""
    if user is None:
        paper = find_paper(services.store, canonical_id(paper_id))
        wanted = PendingAction(Action.VOTE, paper.paper_id) if voted else None
        return ask_to_sign_in(request, services, paper.paper_id, wanted)
    state = services.library.votes.cast(user, canonical_id(paper_id), voted)
    return see_other(local_path(back, paper_path(state.paper_id)))


@router.post("/paper/{paper_id:path}/save")
def save(
    request: Request,
    services: ServicesDep,
    user: ReaderDep,
    paper_id: str,
    change: Annotated[
        str,
        Form(
            description="`add:<collection>`, `remove:<collection>` (an empty id: the default), or `new:` to create "
            "the collection `name` and save the paper into it."
        ),
    ] = "add:",
    name: Annotated[str, Form(max_length=500, description="The new collection's name, for `new:`.")] = "",
    back: BackField = None,
) -> Response:
    """Save the paper into a collection of the reader's (perhaps a new one), or take it out."""
    paper = find_paper(services.store, canonical_id(paper_id))
    action, _, public_id = change.partition(":")
    if action not in ("add", "remove", "new") or (action == "remove" and not public_id):
        raise InvalidInput(f"change must be 'add:<collection>', 'remove:<collection>' or 'new:', got {change!r}")
    if user is None:
        wanted = PendingAction(Action.SAVE, paper.paper_id, public_id) if action == "add" else None
        return ask_to_sign_in(request, services, paper.paper_id, wanted)
    collections = services.library.collections
    if action == "new":
        public_id = collections.create(user, name).public_id
    if action == "remove":
        collections.remove(user, public_id, paper)
    else:
        collections.save(user, paper, public_id or None)
    return see_other(local_path(back, paper_path(paper.paper_id)))


# -- my library ----------------------------------------------------------------------------------


@router.get("/library")
def library(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    into: Annotated[str, Query(description="The collection the import form offers first.")] = "",
) -> Response:
    base = services.site.current()
    mine = [collection_summary(c, base) for c in services.library.collections.mine(user)]
    context = {"collections": mine, "into": into, "import_max_mb": services.settings.import_max_bytes // 1_000_000}
    return templates.TemplateResponse(request, "library.html", context)


@router.post("/library/new", dependencies=[CsrfDep])
def create_collection(
    services: ServicesDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=500)],
    public: Annotated[bool, Form()] = False,
) -> Response:
    created = services.library.collections.create(user, name, public=public)
    return see_other(collection_path(created.public_id))


@router.get("/library/{public_id}")
def my_collection(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    public_id: str,
    order: OrderParam = Order.NEWEST,
    cursor: CursorParam = None,
) -> Response:
    collections = services.library.collections
    page = collections.page(collections.owned(user, public_id), order, cursor)
    context = {
        "collection": collection_detail(page, services.site.current()),
        "owner": True,
        "feed": collection_link(page.collection),
    }
    return templates.TemplateResponse(request, "collection.html", context)


@router.post("/library/{public_id}/rename", dependencies=[CsrfDep])
def rename_collection(
    services: ServicesDep, user: UserDep, public_id: str, name: Annotated[str, Form(max_length=500)]
) -> Response:
    services.library.collections.update(user, public_id, name=name)
    return see_other(collection_path(public_id))


@router.post("/library/{public_id}/visibility", dependencies=[CsrfDep])
def set_visibility(services: ServicesDep, user: UserDep, public_id: str, public: Annotated[bool, Form()]) -> Response:
    services.library.collections.update(user, public_id, public=public)
    return see_other(collection_path(public_id))


@router.post("/library/{public_id}/delete", dependencies=[CsrfDep])
def delete_collection(services: ServicesDep, user: UserDep, public_id: str) -> Response:
    services.library.collections.delete(user, public_id)
    return see_other("/library")


@router.post("/library/{public_id}/note", dependencies=[CsrfDep])
def edit_note(
    services: ServicesDep,
    user: UserDep,
    public_id: str,
    paper: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=20_000)] = "",
    back: BackField = None,
) -> Response:
    stored = find_paper(services.store, canonical_id(paper))
    services.library.collections.set_note(user, public_id, stored, note)
    return see_other(local_path(back, collection_path(public_id)))


@router.post("/library/{public_id}/remove", dependencies=[CsrfDep])
def remove_paper(
    services: ServicesDep, user: UserDep, public_id: str, paper: Annotated[str, Form()], back: BackField = None
) -> Response:
    stored = find_paper(services.store, canonical_id(paper))
    services.library.collections.remove(user, public_id, stored)
    return see_other(local_path(back, collection_path(public_id)))


# -- public collections --------------------------------------------------------------------------


@router.get("/c/{public_id}")
def public_collection(
    request: Request,
    services: ServicesDep,
    user: OptionalUserDep,
    public_id: str,
    order: OrderParam = Order.NEWEST,
    cursor: CursorParam = None,
) -> Response:
    """A public collection for anyone; the owner's private one for its owner; otherwise 404."""
    collections = services.library.collections
    page = collections.page(collections.visible(user, public_id), order, cursor)
    owner = user is not None and page.collection.user_pk == user.pk
    context = {
        "collection": collection_detail(page, services.site.current()),
        "owner": owner,
        "public_view": True,
        "feed": collection_link(page.collection),
    }
    return templates.TemplateResponse(request, "collection.html", context)


# -- for you -----------------------------------------------------------------------------------------


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(
    request: Request, services: ServicesDep, user: UserDep, window: for_you.WindowParam = None
) -> Response:
    answer = for_you.recommend(services, user, window, for_you.PAGE_SIZE)
    context = {
        "items": [for_you_item(recommendation) for recommendation in answer.found.recommendations],
        "liked": answer.found.liked,
        "window": answer.window,
        "windows": list(for_you.ForYouWindow),
        "since": answer.since,
        "fallback_from": answer.fallback_from,
    }
    return templates.TemplateResponse(request, "for_you.html", context)
