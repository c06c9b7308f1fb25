"""The links a digest carries: to papers, and signed links that manage or end a subscription without signing in.

A manage or unsubscribe token is ``<subscription pk>.<signature>``, the signature an HMAC (bound
to the link's purpose) of the pk and the subscription's nonce. It does not expire, so a link in
an old digest still unsubscribes; rotating the nonce revokes every link made before. Forged,
mangled or revoked tokens raise :class:`~papertide.errors.Forbidden` and reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

from papertide.accounts.keys import Signer
from papertide.author_names import author_path
from papertide.config import Settings
from papertide.errors import Forbidden
from papertide.store.db.schema import MAX_KEY
from papertide.store.digest.subscriptions import Subscription, SubscriptionStore

MANAGE = "digest-manage"
UNSUBSCRIBE = "digest-unsubscribe"
_MAX_TOKEN_CHARS = 100
_MAX_PK_DIGITS = len(str(MAX_KEY))
_INVALID = "this link is not valid (it may have been replaced by a newer one); use the link in your latest digest"


class DigestLinks:
    """Absolute URLs under the site's address, and the signed tokens inside them.

    ``site_url`` gives that address when a link is made (the web app's: the request's); by default
    ``settings.site_url``.
    """

    def __init__(self, settings: Settings, signer: Signer, site_url: Callable[[], str] | None = None) -> None:
        self._site_url = site_url or (lambda: settings.site_url)
        self._signer = signer

    @property
    def base_url(self) -> str:
        return self._site_url().rstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def token(self, purpose: str, subscription: Subscription) -> str:
        return f"{subscription.pk}.{self._signer.signature(purpose, f'{subscription.pk}.{subscription.nonce}')}"

    def verify(self, purpose: str, token: str, subscriptions: SubscriptionStore) -> Subscription:
        """The subscription a token of ``purpose`` was made for; :class:`Forbidden` if it is not genuine."""
        pk_text, _, signature = (token or "")[:_MAX_TOKEN_CHARS].partition(".")
        well_formed = pk_text.isascii() and pk_text.isdigit() and len(pk_text) <= _MAX_PK_DIGITS and signature
        if not well_formed or int(pk_text) > MAX_KEY:  # no row has such a key; PostgreSQL would refuse the number
            raise Forbidden(_INVALID)
        subscription = subscriptions.get(int(pk_text))
        if subscription is None or not self._signer.verify(purpose, f"{pk_text}.{subscription.nonce}", signature):
            raise Forbidden(_INVALID)
        return subscription

    def manage_url(self, subscription: Subscription) -> str:
        return f"{self.base_url}/digest/manage/{self.token(MANAGE, subscription)}"

    def unsubscribe_url(self, subscription: Subscription) -> str:
        return f"{self.base_url}/digest/unsubscribe/{self.token(UNSUBSCRIBE, subscription)}"

    def confirm_url(self, token: str) -> str:
        return f"{self.base_url}/digest/confirm/{token}"

    def author_url(self, name: str) -> str:
        return self.base_url + author_path(name)

    def paper_url(self, paper_id: str) -> str:
        return f"{self.base_url}/paper/{quote(paper_id, safe='/:')}"
