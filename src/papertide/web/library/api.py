"""The library's part of the JSON API: votes (and collections, imports, recommendations).

Writes need an account: a bearer token (``Authorization: Bearer``), or a session cookie plus the
CSRF token in ``X-CSRF-Token`` (the pages' scripts use that). Without either they answer 401;
someone else's private collection answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from papertide.library.collections import MAX_PAGE_SIZE, PAGE_SIZE, Order
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.accounts.store import User
from papertide.store.library.collections import Collection
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, UserDep, require_user
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.params import CursorParam
from papertide.web.kit.problems import problem_responses
from papertide.web.library import for_you, transfer
from papertide.web.library.schemas import (
    DEFAULT_ALIAS,
    CollectionCreate,
    CollectionDetail,
    CollectionList,
    CollectionSummary,
    CollectionUpdate,
    ForYouResults,
    ImportResult,
    SavedState,
    SaveRequest,
    VoteResult,
    collection_detail,
    collection_summary,
    for_you_item,
    import_result,
    vote_result,
)
from papertide.web.library.uploads import UploadDep

# What every library route may answer; each adds its own (the for-you list is never a 400 or 403).
router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 422, 503))
# Who is asking before whether the form is ours: a request without an account gets 401, not a CSRF 403.
WRITE = [Depends(require_user), CsrfDep]


# Writes are plain functions: FastAPI runs them on a worker thread, so a write waiting for the
# database lock never holds up the event loop.
@router.post(
    "/papers/{paper_id:path}/vote",
    tags=["library"],
    summary="Upvote a paper",
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404),
)
def vote(services: ServicesDep, user: UserDep, paper_id: str) -> VoteResult:
    """Idempotent: upvoting twice leaves one upvote."""
    return vote_result(services.library.votes.cast(user, canonical_id(paper_id), True))


@router.delete(
    "/papers/{paper_id:path}/vote",
    tags=["library"],
    summary="Withdraw an upvote",
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404),
)
def unvote(services: ServicesDep, user: UserDep, paper_id: str) -> VoteResult:
    """Idempotent: withdrawing a vote that is not there changes nothing."""
    return vote_result(services.library.votes.cast(user, canonical_id(paper_id), False))


# -- collections -----------------------------------------------------------------------------------

def _summary(services: Services, collection: Collection) -> CollectionSummary:
    return collection_summary(collection, services.site.current())


def _saved_state(services: Services, user: User, public_id: str, paper_id: str, *, saved: bool) -> SavedState:
    """The answer to a save or removal: the collection as it is now (its size changed)."""
    collection = services.library.collections.owned(user, public_id)
    return SavedState(collection=_summary(services, collection), paper_id=paper_id, saved=saved)


@router.get("/collections", tags=["library"], summary="My collections", responses=problem_responses(400, 403))
def my_collections(services: ServicesDep, user: UserDep) -> CollectionList:
    """The caller's collections, the default ("Saved") first; empty before the first save."""
    return CollectionList(collections=[_summary(services, c) for c in services.library.collections.mine(user)])


@router.post(
    "/collections",
    tags=["library"],
    summary="Create a collection",
    status_code=201,
    dependencies=WRITE,
    responses=problem_responses(400, 403, 409),
)
def create_collection(services: ServicesDep, user: UserDep, body: CollectionCreate) -> CollectionSummary:
    return _summary(services, services.library.collections.create(user, body.name, public=body.public))


@router.get(
    "/collections/{collection_id}",
    tags=["library"],
    summary="One collection",
    responses=problem_responses(400, 403, 404),
)
def get_collection(
    services: ServicesDep,
    user: OptionalUserDep,
    collection_id: str,
    order: Annotated[Order, Query(description="`newest` or `oldest` saved first.")] = Order.NEWEST,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Papers per page.")] = PAGE_SIZE,
) -> CollectionDetail:
    """A public collection, or one of the caller's own; anyone else's private collection is 404."""
    collections = services.library.collections
    page = collections.page(collections.visible(user, collection_id), order, cursor, limit)
    return collection_detail(page, services.site.current())


@router.patch(
    "/collections/{collection_id}",
    tags=["library"],
    summary="Rename a collection or change who may read it",
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404, 409),
)
def update_collection(
    services: ServicesDep, user: UserDep, collection_id: str, body: CollectionUpdate
) -> CollectionSummary:
    updated = services.library.collections.update(user, collection_id, name=body.name, public=body.public)
    return _summary(services, updated)


@router.delete(
    "/collections/{collection_id}",
    tags=["library"],
    summary="Delete a collection",
    status_code=204,
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404, 409),
)
def delete_collection(services: ServicesDep, user: UserDep, collection_id: str) -> Response:
    """Removes the collection and its notes; the papers stay. The default collection cannot be deleted (400)."""
    services.library.collections.delete(user, collection_id)
    return Response(status_code=204)


@router.put(
    "/collections/{collection_id}/papers/{paper_id:path}",
    tags=["library"],
    summary="Save a paper into a collection",
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404),
)
def save_paper(
    services: ServicesDep, user: UserDep, collection_id: str, paper_id: str, body: SaveRequest | None = None
) -> SavedState:
    """Idempotent; `default` names the caller's "Saved" collection (created by the first save)."""
    collections = services.library.collections
    paper = find_paper(services.store, canonical_id(paper_id))
    target = None if collection_id == DEFAULT_ALIAS else collection_id
    collection = collections.save(user, paper, target)
    if body is not None and body.note is not None:
        collections.set_note(user, collection.public_id, paper, body.note)
    return _saved_state(services, user, collection.public_id, paper.paper_id, saved=True)


@router.delete(
    "/collections/{collection_id}/papers/{paper_id:path}",
    tags=["library"],
    summary="Remove a paper from a collection",
    dependencies=WRITE,
    responses=problem_responses(400, 403, 404),
)
def remove_paper(services: ServicesDep, user: UserDep, collection_id: str, paper_id: str) -> SavedState:
    """Idempotent: removing a paper that is not there changes nothing."""
    collections = services.library.collections
    paper = find_paper(services.store, canonical_id(paper_id))
    target = collections.default(user).public_id if collection_id == DEFAULT_ALIAS else collection_id
    collection = collections.remove(user, target, paper)
    return _saved_state(services, user, collection.public_id, paper.paper_id, saved=False)


# -- exports and imports ---------------------------------------------------------------------------------


@router.get(
    "/collections/{collection_id}/bibtex",
    tags=["library"],
    summary="A collection as BibTeX",
    response_class=Response,
    responses={
        200: {"content": {"application/x-bibtex": {}}, "description": "The BibTeX file."},
        **problem_responses(400, 403, 404, 413),
    },
)
def api_export_bibtex(services: ServicesDep, user: OptionalUserDep, collection_id: str) -> Response:
    """Every paper as an arXiv-style `@misc` entry (eprint, archivePrefix, primaryClass, DOI, journal, url)."""
    return transfer.bibtex_download(services, user, collection_id)


@router.post(
    "/collections/{collection_id}/import",
    tags=["library"],
    summary="Import a BibTeX or RIS file into a collection",
    dependencies=transfer.UPLOAD_ROUTE,
    responses=problem_responses(400, 403, 404, 413),
    openapi_extra={"requestBody": transfer.UPLOAD_BODY},
)
def api_import(services: ServicesDep, user: UserDep, collection_id: str, upload: UploadDep) -> ImportResult:
    """Multipart form with the file in `file`. Papers this library holds are matched by arXiv id, DOI or exact
    normalised title and added in one transaction; a malformed file is refused whole (400, naming the line),
    one over the size or entry limit too (413). `default` names the caller's "Saved" collection.
    """
    report = transfer.run_import(services, user, upload.filename, upload.data, collection_id)
    return import_result(report, services.site.current())


# -- for you -----------------------------------------------------------------------------------------


@router.get("/for-you", tags=["library"], summary="Recommended for me")
def api_for_you(
    services: ServicesDep,
    user: UserDep,
    window: for_you.WindowParam = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = for_you.PAGE_SIZE,
) -> ForYouResults:
    """New papers near what the caller saved and upvoted (neither included), each with the saved or upvoted paper
    it is nearest to. Empty until the caller saves or upvotes something (`based_on` is then 0).
    """
    answer = for_you.recommend(services, user, window, limit)
    return ForYouResults(
        window=answer.window.value,
        since=answer.since,
        fallback_from=answer.fallback_from.value if answer.fallback_from else None,
        based_on=answer.found.liked,
        results=[for_you_item(recommendation) for recommendation in answer.found.recommendations],
    )
