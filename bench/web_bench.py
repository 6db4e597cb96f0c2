"""Load benchmark of the logged-in pages under gunicorn (DEBUG off) on the PostgreSQL database
DATABASE_URL names: N users log in through the login form, then N concurrent clients fetch the pages.

Prepares the database (migrate, load_reference, a 31-day demo if none, one synchronous computation),
serves it on a free loopback port, and prints per-page latencies with the anonymous login page as a
baseline measured in the same run at the same concurrency; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbonfoot_webbench make bench-web
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.client import HTTPConnection, HTTPResponse
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType, ModuleType
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"  # loopback only: the server binds here and every request goes here
LOGIN_PATH = "/accounts/login/"
DEFAULT_URLS = ("/", "/studies/{study}/bom/", "/studies/{study}/")  # dashboard, BOM grid, result page
GOAL_P95_MS = 150.0
REQUEST_TIMEOUT = 30.0  # seconds, gunicorn's default worker timeout
STARTUP_TIMEOUT = 30.0
LOGIN_CONCURRENCY = 8  # each login checks a deliberately slow password hash
DEMO_DAYS = 31
USERNAME_PREFIX = "webbench-"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_url_check() -> str:
    """Refuse anything but PostgreSQL, before Django reads the settings."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    example = "postgres://postgres@127.0.0.1:5432/carbonfoot_webbench"
    if not url:
        sys.exit(f"web_bench: set DATABASE_URL to a PostgreSQL database, e.g. DATABASE_URL={example}")
    try:
        engine = str(dj_database_url.parse(url).get("ENGINE", ""))
    except ValueError as exc:
        sys.exit(f"web_bench: DATABASE_URL is not a usable database URL: {exc}")
    if engine != "django.db.backends.postgresql":
        sys.exit(
            f"web_bench: DATABASE_URL names {engine or 'no engine'}; this benchmark needs PostgreSQL "
            f"(SQLite serialises concurrent writers, so its figures would say nothing about production). "
            f"Use e.g. DATABASE_URL={example}"
        )
    return url


def server_environment() -> dict[str, str]:
    """Production-like settings for this process, manage.py and gunicorn alike."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="carbonfoot.settings",
        DEBUG="0",
        SECRET_KEY=f"web-bench-{secrets.token_urlsafe(48)}",
        ALLOWED_HOSTS=HOST,
        HTTPS="0",  # plain HTTP on the loopback: no redirect to https, cookies not Secure
    )
    # A production deployment keeps its database connections (README, "Configuration").
    env.setdefault("DB_CONN_MAX_AGE", "60")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run manage.py; on failure print its output and stop."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"web_bench: manage.py {' '.join(args)} failed (exit {done.returncode})")
    return done.stdout


def demo_data_module() -> ModuleType:
    """The demo's tables (organizations, logins)."""
    return importlib.import_module("apps.demo.data")


@dataclass(frozen=True)
class Demo:
    study_ref: str  # what {study} becomes in a URL
    organization_id: int
    organization_slug: str


def demo_prepare(env: dict[str, str]) -> Demo:
    from apps.accounts.models import Organization
    from apps.inventory.models import Study

    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG off: pages name the hashed static files
    manage(env, "load_reference")
    data = demo_data_module()
    slug = data.SUPPLIER["slug"]
    if Organization.objects.filter(slug=slug).exists():
        print(f"demo: already loaded ({slug})")
    else:
        started = time.perf_counter()
        debug_env = {**env, "DEBUG": "1"}  # load_demo refuses with DEBUG off (its passwords are published)
        manage(debug_env, "load_demo", "--days", str(DEMO_DAYS), "--no-compute")
        print(f"demo: loaded with {DEMO_DAYS} days of readings in {time.perf_counter() - started:.1f} s")
    study = Study.objects.select_related("organization").get(organization__slug=slug, name=data.STUDY["name"])
    # The study pages are moving from the integer id to Study.uuid: use whichever the model has.
    ref = str(study.uuid)
    started = time.perf_counter()
    report = json.loads(manage(env, "compute_footprint", f"{slug}/{study.name}", "--json"))
    print(
        f"footprint: computed in {time.perf_counter() - started:.1f} s (manage.py compute_footprint): "
        f"E = {Decimal(report['totals']['e']):.6f} kg CO2e per {report['declared_unit']}"
    )
    return Demo(ref, study.organization_id, slug)


def bench_users_create(demo: Demo, count: int, password: str) -> list[str]:
    """`count` editors of the demo supplier; one real password hash, shared by all of them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from apps.accounts.enums import Role
    from apps.accounts.models import Membership

    model = get_user_model()
    usernames = [f"{USERNAME_PREFIX}{i:03d}" for i in range(1, count + 1)]
    hashed = make_password(password)  # the default hasher, once: each hash costs most of a second
    with transaction.atomic():
        existing = set(model.objects.filter(username__in=usernames).values_list("username", flat=True))
        model.objects.filter(username__in=existing).update(password=hashed, is_active=True)
        model.objects.bulk_create(
            [
                model(username=name, first_name="web bench", password=hashed)
                for name in usernames
                if name not in existing
            ]
        )
        users = list(model.objects.filter(username__in=usernames))
        members = set(
            Membership.objects.filter(user__in=users, organization_id=demo.organization_id).values_list(
                "user_id", flat=True
            )
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, organization_id=demo.organization_id, role=Role.EDITOR)
                for user in users
                if user.pk not in members
            ]
        )
    return usernames


def bench_users_delete(session_keys: Sequence[str]) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()
    get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).delete()  # memberships cascade


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    """Serve carbonfoot.wsgi on a free loopback port until the block ends (however it ends)."""
    if importlib.util.find_spec("gunicorn") is None:
        sys.exit("web_bench: gunicorn is not installed (.venv/bin/pip install -r requirements.txt)")
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "carbonfoot.wsgi:application", "--workers", str(workers),
        "--bind", f"{HOST}:{port}", "--timeout", str(int(REQUEST_TIMEOUT)), "--error-logfile", "-",
    ]  # fmt: skip
    with log.open("wb") as out:
        # Its own session: Ctrl-C reaches this script only, and the finally below stops the server.
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    try:
        started = time.perf_counter()
        while True:
            if server.poll() is not None:
                sys.stderr.write(log.read_text(errors="replace")[-4000:])
                raise ServerError(f"gunicorn exited with {server.returncode} before answering")
            if time.perf_counter() - started > STARTUP_TIMEOUT:
                raise ServerError(f"gunicorn did not answer {LOGIN_PATH} within {STARTUP_TIMEOUT:.0f} s")
            try:
                if request(port, "GET", LOGIN_PATH, {}).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        print(
            f"server: gunicorn {importlib.metadata.version('gunicorn')}, {workers} sync workers, http://{HOST}:{port} "
            f"(DEBUG off, DB_CONN_MAX_AGE={env.get('DB_CONN_MAX_AGE', '0')}, "
            f"cache {env.get('CACHE_URL') or 'in each worker'}), answering after "
            f"{time.perf_counter() - started:.1f} s"
        )
        yield port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # graceful: workers finish their request
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


class ServerError(Exception):
    pass


# --- the clients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    cookies: dict[str, str]
    location: str


def request(port: int, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None = None) -> Reply:
    """One request on a fresh connection (gunicorn's sync workers close it after each response)."""
    headers = {"Connection": "close", "Accept-Language": "zh-hans"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"http://{HOST}:{port}"  # as a browser sends it; Django's CSRF check compares it
    connection = HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response: HTTPResponse = connection.getresponse()
        content = response.read()
        jar: dict[str, str] = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        return Reply(response.status, content, jar, response.headers.get("Location", ""))
    finally:
        connection.close()


def login(port: int, username: str, password: str) -> dict[str, str]:
    """The real login form: GET it for the CSRF cookie and token, POST the credentials."""
    cookies: dict[str, str] = {}
    page = request(port, "GET", LOGIN_PATH, cookies)
    cookies.update(page.cookies)
    token = CSRF_INPUT.search(page.body.decode("utf-8", errors="replace"))
    if page.status != 200 or token is None or "csrftoken" not in cookies:
        raise LoginError(f"GET {LOGIN_PATH}: {page.status}, no CSRF token")
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": ""}
    reply = request(port, "POST", LOGIN_PATH, cookies, form)
    cookies.update(reply.cookies)
    if reply.status != 302 or "sessionid" not in reply.cookies:
        raise LoginError(f"POST {LOGIN_PATH}: {reply.status} (location {reply.location!r}), no session")
    return cookies


class LoginError(Exception):
    pass


def login_all(port: int, usernames: Sequence[str], password: str) -> tuple[list[dict[str, str]], list[str]]:
    sessions: list[dict[str, str] | None] = [None] * len(usernames)
    failures: list[str] = []
    pending = iter(range(len(usernames)))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                sessions[index] = login(port, usernames[index], password)
            except (OSError, LoginError) as exc:
                with lock:
                    failures.append(f"{usernames[index]}: {exc}")

    run_threads(worker, min(LOGIN_CONCURRENCY, len(usernames)))
    return [s for s in sessions if s is not None], failures


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)  # 200 responses only
    count: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Phase:
    name: str
    tallies: dict[str, Tally]
    seconds: float = 0.0
    stopped_by_clock: bool = False


def drive(
    port: int,
    name: str,
    paths: Sequence[str],
    sessions: Sequence[dict[str, str]],
    per_client: int,
    max_seconds: float,
    think_ms: float = 0.0,
) -> Phase:
    """One client thread per session, each cycling through `paths` (from its own offset) for
    `per_client` requests or until `max_seconds` have passed, whichever comes first.

    With `think_ms`, each client pauses between its requests for a time drawn uniformly from
    0.5 to 1.5 times it (seeded per client, so runs are comparable): people read a page before
    they open the next. Without it, every client fires again the moment an answer arrives, which
    measures the server's saturation rather than what 50 users at work see."""
    phase = Phase(name, {path: Tally() for path in paths})
    lock = threading.Lock()
    start_gate = threading.Barrier(len(sessions) + 1)
    deadline = 0.0

    def client(index: int) -> None:
        cookies = sessions[index]
        pauses = random.Random(index)
        start_gate.wait()
        for n in range(per_client):
            if n and think_ms:
                time.sleep(think_ms * pauses.uniform(0.5, 1.5) / 1000)
            if time.perf_counter() >= deadline:
                phase.stopped_by_clock = True
                return
            path = paths[(index + n) % len(paths)]
            started = time.perf_counter()
            try:
                status: int | str = request(port, "GET", path, cookies).status
            except OSError as exc:
                status = type(exc).__name__
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                tally = phase.tallies[path]
                tally.count += 1
                if status == 200:
                    tally.latencies_ms.append(elapsed_ms)
                else:
                    tally.errors += 1
                    tally.error_kinds[str(status)] = tally.error_kinds.get(str(status), 0) + 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline = started + max_seconds
    start_gate.wait()
    join_all(threads)
    phase.seconds = time.perf_counter() - started
    return phase


def warm_up(port: int, paths: Sequence[str], cookies: dict[str, str], rounds: int) -> list[tuple[str, str]]:
    """A few untimed requests per page (templates, imports, connections); returns the failures."""
    problems: list[tuple[str, str]] = []
    for path in paths:
        for _ in range(rounds):
            try:
                status = str(request(port, "GET", path, {} if path == LOGIN_PATH else cookies).status)
            except OSError as exc:
                status = type(exc).__name__
            if status != "200":
                problems.append((path, status))
                break
    return problems


def run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    join_all(threads)


def join_all(threads: Sequence[threading.Thread]) -> None:
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)  # short joins keep Ctrl-C deliverable to the main thread


# --- the report ---------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `ordered` is sorted."""
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def p95(tally: Tally) -> float:
    return percentile(sorted(tally.latencies_ms), 95)


def report(baseline: Phase, pages: Phase) -> None:
    base_p95 = p95(baseline.tallies[LOGIN_PATH])
    labels = {LOGIN_PATH: f"{LOGIN_PATH} (baseline, anonymous)"}
    width = max(len(label) for label in [*pages.tallies, *labels.values()])
    print("\nlatency in ms of the 200 responses; errors = non-200 or no response")
    print(f"{'page':<{width}}  {'count':>6} {'errors':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  p95/baseline")
    for phase in (baseline, pages):
        for path, tally in phase.tallies.items():
            ordered = sorted(tally.latencies_ms)
            figures = [percentile(ordered, q) for q in (50, 95, 99)] + [ordered[-1] if ordered else float("nan")]
            if phase is baseline:
                ratio = "(baseline)"
            elif ordered and not math.isnan(base_p95):
                ratio = f"{figures[1] / base_p95:.1f}x"
            else:
                ratio = "-"
            print(
                f"{labels.get(path, path):<{width}}  {tally.count:>6} {tally.errors:>6} "
                + " ".join(f"{value:>8.1f}" if ordered else f"{'-':>8}" for value in figures)
                + f"  {ratio}"
            )
    for phase in (baseline, pages):
        total = sum(t.count for t in phase.tallies.values())
        kinds: dict[str, int] = {}
        for tally in phase.tallies.values():
            for kind, n in tally.error_kinds.items():
                kinds[kind] = kinds.get(kind, 0) + n
        note = " (stopped by --max-seconds)" if phase.stopped_by_clock else ""
        errors = f", errors by kind {dict(sorted(kinds.items()))}" if kinds else ""
        print(
            f"{phase.name}: {total} requests in {phase.seconds:.2f} s = {total / phase.seconds:.1f} requests/s"
            f"{note}{errors}"
        )
    print(f"goal: p95 <= {GOAL_P95_MS:.0f} ms with no errors")
    for path, tally in pages.tallies.items():
        verdict = "PASS" if tally.latencies_ms and p95(tally) <= GOAL_P95_MS and tally.errors == 0 else "MISS"
        figure = f"p95 {p95(tally):.1f} ms" if tally.latencies_ms else "no 200 response"
        print(f"  {verdict}  {labels.get(path, path)}  ({figure}, {tally.errors} errors)")


# --- main ---------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="users logged in, and concurrent clients (50)")
    parser.add_argument("--requests-per-user", type=int, default=20, help="requests per client and phase (20)")
    parser.add_argument("--max-seconds", type=float, default=120, help="wall-clock bound per phase (120)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (2 x CPUs + 1)"
    )
    parser.add_argument(
        "--think-ms", type=float, default=1000.0, help="mean pause between a user's requests (1000; 0 = saturate)"
    )
    parser.add_argument(
        "--url", action="append", dest="urls", metavar="PATH",
        help="a page path, repeatable; {study} becomes the demo study's id (default: dashboard, BOM grid, result)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup", type=int, default=6,
        help="untimed requests per page and worker before the timed phases (6): every worker has loaded its "
        "code, templates and translations and filled its cache, so the figures are the steady state",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the bench users and their sessions")
    args = parser.parse_args()
    for name in ("users", "requests_per_user", "workers", "warmup"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.think_ms < 0:
        parser.error("--think-ms must not be negative")
    if args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")
    for url in args.urls or []:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/"):
            parser.error(f"--url {url!r}: give a path such as /studies/{{study}}/; requests go to {HOST} only")
    return args


def main() -> None:
    args = arguments()
    database_url_check()
    env = server_environment()
    os.environ.update(env)
    signal.signal(signal.SIGTERM, _on_sigterm)

    import django

    django.setup()
    from django.db import connection, connections

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}")
    demo = demo_prepare(env)
    password = secrets.token_urlsafe(18)
    started = time.perf_counter()
    usernames = bench_users_create(demo, args.users, password)
    print(f"users: {len(usernames)} editors of {demo.organization_slug} ready in {time.perf_counter() - started:.1f} s")
    connections.close_all()  # hold no connection while the server works

    templates = list(args.urls or DEFAULT_URLS)
    paths = list(dict.fromkeys(t.replace("{study}", demo.study_ref) for t in templates))
    sessions: list[dict[str, str]] = []
    outcome = 0
    try:
        with tempfile.TemporaryDirectory(prefix="web_bench-") as tmp:
            log = Path(tmp) / "gunicorn.log"
            try:
                with gunicorn(env, args.workers, log) as port:
                    outcome = bench(port, args, usernames, password, paths, sessions)
            except ServerError as exc:
                print(f"web_bench: {exc}", file=sys.stderr)
                outcome = 1
            if outcome:
                tail = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
                if tail:
                    print("server log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
    finally:
        if not args.keep:
            bench_users_delete([s["sessionid"] for s in sessions if "sessionid" in s])
    sys.exit(outcome)


def bench(
    port: int,
    args: argparse.Namespace,
    usernames: Sequence[str],
    password: str,
    paths: Sequence[str],
    sessions: list[dict[str, str]],
) -> int:
    """Log in, drive the baseline then the pages; returns the exit code."""
    started = time.perf_counter()
    logged_in, failures = login_all(port, usernames, password)
    sessions.extend(logged_in)
    print(
        f"logins: {len(logged_in)} of {len(usernames)} through the login form in {time.perf_counter() - started:.1f} s"
        f" ({LOGIN_CONCURRENCY} at a time)"
    )
    for failure in failures[:5]:
        print(f"  login failed: {failure}")
    if not logged_in:
        print("web_bench: no user could log in", file=sys.stderr)
        return 1
    clients = len(logged_in)
    print(
        f"load: {clients} concurrent clients, {args.requests_per_user} requests each per phase, "
        f"{args.think_ms:g} ms mean think time between a client's requests, at most "
        f"{args.max_seconds:g} s per phase, after {args.warmup * args.workers} untimed requests per page; "
        f"client and server share this machine ({os.cpu_count()} CPUs)"
    )
    rounds = args.warmup * args.workers
    for path, status in warm_up(port, [LOGIN_PATH, *paths], logged_in[0], rounds):
        print(f"  warning: {path} answered {status} while warming up: is it a page of the current URLconf?")
    anonymous: list[dict[str, str]] = [{} for _ in range(clients)]
    limits = (args.requests_per_user, args.max_seconds, args.think_ms)
    baseline = drive(port, "baseline", [LOGIN_PATH], anonymous, *limits)
    pages = drive(port, "pages", paths, logged_in, *limits)
    report(baseline, pages)
    ok = sum(len(t.latencies_ms) for t in pages.tallies.values())
    if ok == 0:
        print("web_bench: every page request failed", file=sys.stderr)
        return 1
    return 0


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwind like Ctrl-C, so the finally blocks stop the server


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("web_bench: interrupted (server stopped)")
