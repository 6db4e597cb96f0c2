"""Content-Security-Policy on every response (Django 5.2 has none built in).

The pages load their scripts and styles from /static only (htmx is vendored there by django-htmx; no
inline <script>, no inline style, no hx-on handlers), so the policy allows 'self' and nothing inline.
The admin is Django's, django-import-export's and django-simple-history's templates, a few of which
carry inline style attributes: its pages also allow inline styles, never inline scripts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def _policy(style_src: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": style_src,
        "img-src": "'self' data:",  # data: for the empty favicon link in base.html
        "font-src": "'self'",
        "connect-src": "'self'",  # htmx requests
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    report_uri = getattr(settings, "CSP_REPORT_URI", "")
    if report_uri:
        directives["report-uri"] = report_uri
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.site_policy = _policy("'self'")
        self.admin_policy = _policy("'self' 'unsafe-inline'")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            match = getattr(request, "resolver_match", None)
            in_admin = match is not None and "admin" in match.namespaces
            response[HEADER] = self.admin_policy if in_admin else self.site_policy
        return response


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: object) -> HttpResponse:
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with a page in the user's language
    saying how long to wait."""
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"lockout_minutes": minutes}, status=429)
