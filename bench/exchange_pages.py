"""Cost of the exchange pages (issue 6) on the demo data, measured in this process with Django's test
client, DEBUG off, on the database DATABASE_URL names.

Prepares the database (migrate, the demo with its computed studies and whole exchange: two suppliers,
the main request with version 1 returned and version 2 accepted and verified, the variant returned, the
second supplier's request open; ANALYZE), then requests each page as the demo user who reads it: warm (after a
few untimed requests) and cold (the cache cleared before each timed request). Prints per page the median
and p95 in ms, the queries per request, the response size and the ratio of the median to the anonymous
login page's, a baseline measured in the same run; asserts nothing about time.

    createdb -h 127.0.0.1 -U postgres carbonfoot_exchangebench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbonfoot_exchangebench make bench-exchange
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOGIN_PATH = "/accounts/login/"
DEMO_DAYS = 31
REQUESTS = 30
WARMUP = 3
SLOW_COLD_MS = 300.0  # a cold median above this is worth a profile (--profile)
REPEATED_QUERY = 5  # the same query shape this many times in one request: a query per row?
OTHER_BENCH_USERS = "webbench-"  # bench/web_bench.py's users (it removes them unless --keep)


@dataclass(frozen=True)
class Page:
    key: str  # what --page and --profile name
    label: str
    user: str  # a demo login (apps.demo.data.LOGINS); "" = anonymous
    url: str


@dataclass
class Sample:
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)  # per request, from the separate counted requests
    repeated: tuple[int, str] = (0, "")  # the most repeated query shape in a counted request: (times, SQL)
    size: int = 0  # response bytes

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return percentile(sorted(self.times_ms), 95)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), as bench/web_bench.py; `ordered` is sorted."""
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- the database -------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    """Production-like settings for this process and manage.py: DEBUG off, the test client's host allowed."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="carbonfoot.settings",
        DEBUG="0",
        SECRET_KEY=f"exchange-bench-{secrets.token_urlsafe(48)}",
        ALLOWED_HOSTS="testserver",
        HTTPS="0",  # plain HTTP on the loopback: no redirect to https, cookies not Secure
        # GET requests send no mail, but should a page ever do so, not to anyone.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run manage.py; on failure print its output and stop."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"exchange_pages: manage.py {' '.join(args)} failed (exit {done.returncode})")
    return done.stdout


def demo_only_check() -> None:
    """Refuse a database that holds anything but the demo (organizations and users), before migrating it:
    this script migrates and writes the demo, and is no tool to point at real data."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.accounts.models import Organization
    from apps.demo import data

    tables = set(connection.introspection.table_names())
    organizations: list[str] = []
    users: list[str] = []
    if Organization._meta.db_table in tables:
        demo_slugs = [o["slug"] for o in (data.SUPPLIER, data.BUYER, data.SUPPLIER2, data.VERIFICATION_BODY)]
        organizations = list(Organization.objects.exclude(slug__in=demo_slugs).values_list("slug", flat=True)[:6])
    model = get_user_model()
    if model._meta.db_table in tables:
        logins = {login.username for login in data.LOGINS}
        users = list(
            model.objects.exclude(username__in=logins)
            .exclude(username__startswith=OTHER_BENCH_USERS)
            .values_list("username", flat=True)[:6]
        )
    if organizations or users:
        found = [f"organizations {', '.join(organizations[:5])}" if organizations else ""]
        found.append(f"users {', '.join(users[:5])}" if users else "")
        more = ", ..." if len(organizations) > 5 or len(users) > 5 else ""
        sys.exit(
            f"exchange_pages: refusing to run on {connection.settings_dict['NAME']}: it holds data other than the "
            f"demo ({'; '.join(f for f in found if f)}{more}). Give DATABASE_URL an empty database, e.g. "
            "createdb -h 127.0.0.1 -U postgres carbonfoot_exchangebench"
        )


@dataclass(frozen=True)
class Exchange:
    request_uuid: str  # the main request (R1)
    v2_uuid: str  # its version 2, accepted and verified
    v1_version: int
    comments: int  # on version 1, shown beside version 2's diff
    statements: int


def demo_prepare(env: dict[str, str], days: int) -> Exchange:
    from django.db import connection

    from apps.accounts.models import Organization
    from apps.demo import data
    from apps.exchange.enums import SubmissionState
    from apps.exchange.models import ReviewComment, Submission, VerificationStatement

    started = time.perf_counter()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG off: pages name the hashed static files
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    if Organization.objects.filter(slug=data.SUPPLIER["slug"]).exists():
        print(f"demo: already loaded ({data.SUPPLIER['slug']}; --days does not change it)")
    else:
        started = time.perf_counter()
        debug_env = {**env, "DEBUG": "1"}  # load_demo refuses with DEBUG off (its passwords are published)
        manage(debug_env, "load_demo", "--days", str(days))
        print(f"demo: loaded with {days} days of 15-minute readings, computed and exchanged, in "
              f"{time.perf_counter() - started:.1f} s (manage.py load_demo)")  # fmt: skip
    # Fresh planner statistics, as autovacuum keeps them in production (a PostgreSQL that runs without it, as
    # some test servers do, would otherwise plan the year of readings as a few hundred rows).
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"analyze: planner statistics refreshed in {time.perf_counter() - started:.1f} s")
    v2 = (
        Submission.objects.filter(
            request__organization__slug=data.BUYER["slug"],
            request__product_code=data.REQUEST_MAIN.product_code,
            state=SubmissionState.ACCEPTED,
            preceding__isnull=False,
        )
        .select_related("request", "preceding")
        .order_by("-version")
        .first()
    )
    if v2 is None or v2.preceding is None:
        sys.exit(
            "exchange_pages: the demo here has no accepted resubmission of the main request: it was loaded with "
            "--no-compute (bench/web_bench.py does so). Use an empty database for this benchmark."
        )
    comments = ReviewComment.objects.filter(submission=v2.preceding).count()
    statements = VerificationStatement.objects.filter(submission=v2).count()
    versions = Submission.objects.filter(request__organization__slug=data.BUYER["slug"]).count()
    print(
        f"exchange: {versions} submitted versions; the main request's v{v2.version} (accepted, {statements} "
        f"verification statement{'s' if statements != 1 else ''}) follows v{v2.preceding.version} "
        f"({comments} comments)"
    )
    return Exchange(str(v2.request.uuid), str(v2.uuid), v2.preceding.version, comments, statements)


def pages(exchange: Exchange) -> list[Page]:
    from django.urls import reverse
    from django.utils.http import urlencode

    from apps.demo import data

    buyer, supplier, verifier = "buyer-reviewer", "supplier-manager", "auditor"
    # The product type with the accepted version, named rather than left to the page's default choice, so the
    # figures always cover the same rows.
    compared = "?" + urlencode({"product_type": data.REQUEST_MAIN.product_type})
    return [
        Page("inbox", "review inbox", buyer, reverse("web:review-inbox")),
        Page(
            "submission",
            f"submission page (R1 v2, diff to v{exchange.v1_version})",
            buyer,
            reverse("web:submission-detail", args=[exchange.v2_uuid]),
        ),
        Page("comparison", "comparison page", buyer, reverse("web:comparison") + compared),
        Page("comparison-csv", "comparison CSV", buyer, reverse("web:comparison-csv") + compared),
        Page("comparison-xlsx", "comparison xlsx", buyer, reverse("web:comparison-xlsx") + compared),
        Page("requests", "request list", buyer, reverse("web:request-list")),
        Page("dashboard", "supplier's dashboard", supplier, reverse("web:study-list")),
        Page("notifications", "notifications list", supplier, reverse("web:notification-list")),
        Page("verifier", "verifier home", verifier, reverse("web:verifier-home")),
    ]


# --- the measurements ---------------------------------------------------------------------------


class PageError(Exception):
    pass


def fetch(client: Any, url: str) -> int:
    """One GET through the whole middleware stack; returns the response's size in bytes."""
    response = client.get(url)
    if response.status_code != 200:
        raise PageError(f"GET {url} answered {response.status_code}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(body)


_LITERALS = (
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\((?:\s*\?\s*,)+\s*\?\s*\)"), "(...)"),
)


def query_shape(sql: str) -> str:
    for pattern, replacement in _LITERALS:
        sql = pattern.sub(replacement, sql)
    return sql


def counted(client: Any, url: str, cold: bool) -> tuple[int, tuple[int, str]]:
    """Queries of one untimed request, and its most repeated query shape."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    shapes = Counter(query_shape(q["sql"]) for q in captured.captured_queries)
    top = shapes.most_common(1)
    return len(captured), (top[0][1], top[0][0]) if top else (0, "")


def measure(client: Any, url: str, requests: int, cold: bool) -> Sample:
    """`requests` timed GETs (the cache cleared before each when `cold`, outside the timing), then two
    untimed ones under the same condition to count queries (the query log itself costs time)."""
    from django.core.cache import cache

    sample = Sample()
    for _ in range(requests):
        if cold:
            cache.clear()
        started = time.perf_counter()
        sample.size = fetch(client, url)
        sample.times_ms.append((time.perf_counter() - started) * 1000)
    for _ in range(2):
        queries, repeated = counted(client, url, cold)
        sample.queries.append(queries)
        sample.repeated = max(sample.repeated, repeated)
    return sample


def profiled(client: Any, url: str, requests: int) -> cProfile.Profile:
    """`requests` more cold GETs under cProfile, untimed: the profiler slows what it watches."""
    from django.core.cache import cache

    profile = cProfile.Profile()
    for _ in range(requests):
        cache.clear()
        profile.enable()
        fetch(client, url)
        profile.disable()
    return profile


def clients(page_list: Sequence[Page]) -> dict[str, Any]:
    """A test client per user, logged in with force_login, reading Chinese as web_bench's clients do."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    out: dict[str, Any] = {"": Client(headers={"accept-language": "zh-hans"})}
    model = get_user_model()
    for username in dict.fromkeys(p.user for p in page_list if p.user):
        client = Client(headers={"accept-language": "zh-hans"})
        client.force_login(model.objects.get(username=username))
        out[username] = client
    return out


@dataclass
class Row:
    page: Page
    warm: Sample
    cold: Sample


def bench(page_list: Sequence[Page], args: argparse.Namespace) -> tuple[list[Row], dict[str, cProfile.Profile]]:
    by_user = clients(page_list)
    baseline = Page("baseline", "login page (baseline, anonymous)", "", LOGIN_PATH)
    rows: list[Row] = []
    profiles: dict[str, cProfile.Profile] = {}
    for page in [baseline, *page_list]:
        client = by_user[page.user]
        for _ in range(args.warmup):
            fetch(client, page.url)
        warm = measure(client, page.url, args.requests, cold=False)
        cold = measure(client, page.url, args.requests, cold=True)
        rows.append(Row(page, warm, cold))
        if page.key in (args.profile or []):
            profiles[page.key] = profiled(client, page.url, args.requests)
    # The baseline once more at the end: how far the machine drifted while the pages ran.
    again = Page("baseline-again", "login page (baseline, again)", "", LOGIN_PATH)
    rows.append(
        Row(
            again,
            measure(by_user[""], LOGIN_PATH, args.requests, cold=False),
            measure(by_user[""], LOGIN_PATH, args.requests, cold=True),
        )
    )
    return rows, profiles


# --- the report ---------------------------------------------------------------------------------


def _queries(sample: Sample) -> str:
    low, high = min(sample.queries), max(sample.queries)
    return str(low) if low == high else f"{low}-{high}"


def report(rows: Sequence[Row]) -> None:
    base = rows[0]
    width = max(len(r.page.label) for r in rows)
    user_width = max(len(r.page.user or "anonymous") for r in rows)
    print(
        "\nms per request in this process (test client, whole middleware stack, no network); "
        "queries counted on separate untimed requests; x = median / the baseline's median in the same mode"
    )
    head = f"{'median':>8} {'p95':>8} {'queries':>7} {'x':>6}"
    print(f"{'':<{width}}  {'':<{user_width}}  {'':>9}  {'warm':^{len(head)}}  {'cold (cache cleared)':^{len(head)}}")
    print(f"{'page':<{width}}  {'user':<{user_width}}  {'bytes':>9}  {head}  {head}")
    for row in rows:
        cells = []
        for sample, baseline in ((row.warm, base.warm), (row.cold, base.cold)):
            ratio = "base" if row is base else f"{sample.median / baseline.median:.1f}"
            cells.append(f"{sample.median:>8.1f} {sample.p95:>8.1f} {_queries(sample):>7} {ratio:>6}")
        print(
            f"{row.page.label:<{width}}  {row.page.user or 'anonymous':<{user_width}}  {row.warm.size:>9,}  "
            + "  ".join(cells)
        )
    notes = []
    for row in rows:
        if row.cold.median > SLOW_COLD_MS:
            notes.append(f"{row.page.label}: cold median {row.cold.median:.0f} ms > {SLOW_COLD_MS:.0f} ms")
        for mode, sample in (("warm", row.warm), ("cold", row.cold)):
            times, shape = sample.repeated
            if times >= REPEATED_QUERY:
                notes.append(f"{row.page.label} ({mode}): one query shape {times} times: {shape[:160]}")
    if notes:
        print("\nworth a look (--profile KEY prints where the time goes):")
        for note in notes:
            print(f"  {note}")


def profile_report(profiles: dict[str, cProfile.Profile], top: int) -> None:
    """The top functions by cumulative and by own time, paths shortened to the project's or the package's."""
    prefixes = sorted({str(ROOT) + os.sep, *(p + os.sep for p in sys.path if p.endswith("site-packages"))}, key=len)
    for key, profile in profiles.items():
        for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(top)
            text = out.getvalue().strip()
            for prefix in reversed(prefixes):
                text = text.replace(prefix, "")
            print(f"\n--- profile of the cold requests of {key!r}, by {title} ---")
            print(text)


# --- main ---------------------------------------------------------------------------------------

PAGE_KEYS = (
    "inbox",
    "submission",
    "comparison",
    "comparison-csv",
    "comparison-xlsx",
    "requests",
    "dashboard",
    "notifications",
    "verifier",
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--days", type=int, default=DEMO_DAYS, help=f"days of 15-minute readings in a new demo ({DEMO_DAYS})"
    )
    parser.add_argument("--requests", type=int, default=REQUESTS, help=f"timed requests per page and mode ({REQUESTS})")
    parser.add_argument("--warmup", type=int, default=WARMUP, help=f"untimed requests per page first ({WARMUP})")
    parser.add_argument(
        "--page", action="append", dest="pages", choices=PAGE_KEYS, metavar="KEY",
        help=f"measure only this page, repeatable: {', '.join(PAGE_KEYS)} (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="append", choices=PAGE_KEYS, metavar="KEY",
        help="after timing it, profile this page's cold requests with cProfile and print the top functions, repeatable",
    )  # fmt: skip
    parser.add_argument("--profile-top", type=int, default=30, help="functions a profile prints (30)")
    args = parser.parse_args()
    if not 1 <= args.days <= 365:
        parser.error("--days must be from 1 to 365")
    for name in ("requests", "profile_top"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def main() -> None:
    args = arguments()
    env = environment()
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}"
        + (f" on {connection.settings_dict['HOST']}" if connection.settings_dict.get("HOST") else "")
    )
    demo_only_check()
    exchange = demo_prepare(env, args.days)
    wanted = {*(args.pages or []), *(args.profile or [])}
    chosen = [p for p in pages(exchange) if not args.pages or p.key in wanted]
    backend = str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
    print(
        f"run: Django {django.get_version()}, Python {platform.python_version()}, DEBUG {settings.DEBUG}, cache "
        f"{backend}, {args.warmup} untimed then {args.requests} timed requests per page and mode, one database "
        f"connection kept open; {os.cpu_count()} CPUs"
    )
    try:
        rows, profiles = bench(chosen, args)
    except PageError as exc:
        sys.exit(f"exchange_pages: {exc}")
    report(rows)
    profile_report(profiles, args.profile_top)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("exchange_pages: interrupted")
