"""Rendered page fragments cached under what they show.

A fragment (the bill-of-materials grid, a result section) is rendered once per version of its inputs and
served from the cache until they change: the caller names the inputs in the key (a study's input mark from
`apps.footprints.marks`, or an immutable snapshot's digest), this module adds the language, the time zone
and a digest of the fragment's template sources, so a deployment that changes a template never serves the
old HTML. Nothing is invalidated by hand.

A cached fragment is shared by every user who may see it, so it must not contain anything personal: the
one thing forms need, the CSRF token, is rendered as a placeholder and replaced with the requesting user's
token on the way out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache as memoize
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

FRAGMENT_SECONDS = 24 * 3600
# The same in every process (a fragment cached by one worker is served by another) and never a valid
# token. A user who types it into a field sees their own token there: nothing crosses between users.
CSRF_PLACEHOLDER = "carbonfoot-csrf-placeholder-5b1e"


@memoize
def _templates_digest(names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        template: Any = get_template(name)
        digest.update(name.encode())
        digest.update(template.template.source.encode())
    return digest.hexdigest()[:16]


def cached_fragment(
    request: HttpRequest,
    *,
    key: Sequence[object],
    templates: Sequence[str],
    render: Callable[[dict[str, Any]], str],
) -> SafeString:
    """The HTML that `render` makes, cached under `key` + language + time zone + the templates' sources.

    `render` receives the extra context a cacheable rendering must use (the CSRF placeholder); it must
    render without `request`, so that no context processor puts per-user data into the shared HTML."""
    parts = [
        "web:fragment",
        *(str(part) for part in key),
        get_language() or "",
        timezone.get_current_timezone_name(),
        _templates_digest(tuple(templates)),
    ]
    cache_key = hashlib.sha256(":".join(parts).encode()).hexdigest()
    html = cache.get(cache_key)
    if not isinstance(html, str):
        html = render({"csrf_token": CSRF_PLACEHOLDER})
        cache.set(cache_key, html, FRAGMENT_SECONDS)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # noqa: S308 - rendered by Django templates (autoescaped); the token is URL-safe
