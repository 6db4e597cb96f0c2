"""Production settings (DEBUG off): the deploy checks pass, the pages carry the security headers, static files
are served by WhiteNoise under hashed names, database connections persist with health checks.

Settings are read once at start-up, so these run a fresh process with a production environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, re
import django
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client

client = Client(HTTP_HOST="carbon.example.com")
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
html = page.content.decode()
css = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
static = client.get(css, HTTP_X_FORWARDED_PROTO="https")
csrf = page.cookies["csrftoken"]
db = connections["default"].settings_dict
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "status": page.status_code,
    "headers": {name: page.get(name) for name in (
        "Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
        "X-Frame-Options", "Cross-Origin-Opener-Policy")},
    "csrf_cookie": {"secure": csrf["secure"], "samesite": csrf["samesite"]},
    "css": css,
    "static": [static.status_code, static.get("Cache-Control")],
    "db": [db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]],
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


def _production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "DB_CONN_MAX_AGE"}}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "carbonfoot.settings",
        "DEBUG": "0",
        "SECRET_KEY": "production-like-" + "k" * 50,
        "ALLOWED_HOSTS": "carbon.example.com",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "CARBONFOOT_VAR_DIR": str(var_dir),
        **extra,
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    var_dir = tmp_path_factory.mktemp("production")
    env = _production_env(var_dir)
    collected = _run(env, "manage.py", "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    probed = _run(env, "-c", PROBE)
    assert probed.returncode == 0, probed.stderr
    return json.loads(probed.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    checked = _run(_production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_plain_http_is_redirected_to_https(production):
    assert production["plain"] == [301, "https://carbon.example.com/accounts/login/"]


def test_a_page_over_https_carries_the_security_headers(production):
    headers = production["headers"]

    assert production["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "style-src 'self';" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert production["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert production["session_cookie_secure"] is True


def test_static_files_are_served_by_whitenoise_under_hashed_names(production):
    # carbonfoot.<12 hex digits>.css, cached for a year since its name changes with its content.
    name = production["css"].rsplit("/", 1)[-1]
    assert name.startswith("carbonfoot.") and name.endswith(".css") and len(name.split(".")[1]) == 12
    status, cache_control = production["static"]
    assert status == 200
    assert "max-age=315360000" in cache_control and "immutable" in cache_control


def test_database_connections_persist_with_health_checks(production):
    assert production["db"] == [60, True]


def test_https_off_serves_plain_http_with_no_redirect_and_no_secure_cookie(tmp_path):
    """HTTPS=0: a production-like server on a plain-HTTP loopback (the benchmarks)."""
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    started = _run(_production_env(tmp_path, HTTPS="0"), "-c", probe)

    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["False", "False", "False", "0"]
