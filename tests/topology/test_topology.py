"""The production shape, as separate processes, driven through HTTP only.

gunicorn, a Celery worker and beat run with the production settings (``DEBUG=0``, fresh
secrets, ``ALLOWED_HOSTS=127.0.0.1``) on a fresh PostgreSQL database and a Redis
database, each in its own working directory and ``TMPDIR``. Twice: web and worker on
one shared ``MEDIA_ROOT`` (the compose volume), then on an S3-compatible store (moto's
server, on 127.0.0.1) with a different ``MEDIA_ROOT`` each. A real HTTP client (cookies,
CSRF) sets up the organisation, accepts the invitation, signs in, imports a bundle
through a worker, asks for evaluation figures, and, as an evaluator, builds an export
in the background and reads its rows. Then the worker is killed (SIGKILL) in the middle
of a run and a new one finishes it.

Needs PostgreSQL and Redis: skipped without them unless ``REQUIRE_SERVICES=1``.
The database server is the one of ``DATABASE_URL`` (``TOPOLOGY_DATABASE_URL``, else
postgres://postgres@127.0.0.1:5432/peersupport); Redis is ``TOPOLOGY_REDIS_URL``
(redis://127.0.0.1:6379/14), emptied before each mode. Timings print at the end
(docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.availability import require
from tests.importer.import_bundles import VALID

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PASSWORD = "lantern-river-42-harbour"
EXPORT_FORM = {
    "kind": "dataset",
    "format": "xlsx",
    "part": "data",
    "values": "coded",
    "dates": "none",
    "period": "all",
    "audience": "external",
}
BUCKET = "peersupport-topology"

pytestmark = [pytest.mark.topology, pytest.mark.services]
TIMINGS: dict[str, float] = {}


# --- services ------------------------------------------------------------------------


def _database_server() -> str:
    url = os.environ.get("TOPOLOGY_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/peersupport"
    return url


def _redis_url() -> str:
    return os.environ.get("TOPOLOGY_REDIS_URL", "redis://127.0.0.1:6379/14")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection():
    import psycopg

    return psycopg.connect(_with_database(_database_server(), "postgres"), autocommit=True)


def _services_up() -> tuple[bool, str]:
    import psycopg
    import redis

    try:
        _admin_connection().close()
    except psycopg.Error as exc:
        return False, f"PostgreSQL is not reachable ({exc.__class__.__name__})"
    try:
        redis.Redis.from_url(_redis_url(), socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False, f"Redis is not reachable at {_redis_url()}"
    return True, ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check: Callable[[], object], timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


# --- processes -----------------------------------------------------------------------


class Stack:
    """Processes of one deployment; each in its own directory, all killed at the end."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def home(self, name: str) -> Path:
        home = self.root / name
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        return home

    def process_env(self, name: str, **extra: str) -> dict[str, str]:
        return {**self.env, "TMPDIR": str(self.home(name) / "tmp"), **extra}

    def start(self, name: str, args: list[str], **extra: str) -> subprocess.Popen:
        home = self.home(name)
        log = open(home / "output.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args,
            cwd=home,
            env=self.process_env(name, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches its children
        )
        log.close()
        self.processes[name] = process
        return process

    def run(self, name: str, args: list[str], timeout: float = 120) -> str:
        """A one-off command (manage.py …) in its own directory; its output."""
        done = subprocess.run(  # noqa: S603
            args,
            cwd=self.home(name),
            env=self.process_env(name),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        path = self.root / name / "output.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None


def manage(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


def celery(*args: str) -> list[str]:
    return [PYTHON, "-m", "celery", "-A", "peersupport", *args]


def worker_args(name: str) -> list[str]:
    return [
        "worker", "--loglevel=INFO", "--concurrency=1", f"--hostname={name}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip


# --- the deployment --------------------------------------------------------------------


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    ok, reason = _services_up()
    require(ok, reason)
    root = tmp_path_factory.mktemp("static")
    env = _base_env(root)
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603
        manage("collectstatic", "--noinput", "-v", "0"),
        cwd=root,
        env={**env, "DATABASE_URL": "sqlite:///unused.sqlite3", "TMPDIR": str(root)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    TIMINGS["collectstatic (once)"] = time.monotonic() - started
    return root


def _base_env(static_root: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "NAME_INDEX_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(static_root),
        # The bundle holds two people: with any smallest cell above 1, an outside
        # reader's dataset keeps no row of them. This test is about the processes, so
        # every row stays (tests/exports prove the small-number rules).
        "MIN_CELL": "1",
        # The test speaks plain HTTP to 127.0.0.1; in production a TLS proxy stands in
        # front, and these stay on.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "AWS_STORAGE_BUCKET_NAME": "",
        "LOG_LEVEL": "INFO",
    }


def _database_name(suffix: str) -> str:
    return f"{urlsplit(_database_server()).path.lstrip('/') or 'peersupport'}_topo_{suffix}"


def _drop(database: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def migrated_template(static_root, tmp_path_factory) -> Iterator[str]:
    """A database migrated once (``manage.py migrate``, as the compose ``migrate``
    service runs it); each deployment starts from a copy."""
    template = _database_name("template")
    _drop(template)
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{template}"')
    root = tmp_path_factory.mktemp("migrate")
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603
        manage("migrate", "--noinput", "-v", "0"),
        cwd=root,
        env={
            **_base_env(static_root),
            "DATABASE_URL": _with_database(_database_server(), template),
            "TMPDIR": str(root),
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    TIMINGS["migrate (once)"] = time.monotonic() - started
    yield template
    _drop(template)


@pytest.fixture(params=["shared-volume", "object-store"])
def deployment(request, static_root, migrated_template, tmp_path) -> Iterator[tuple]:
    """A running deployment: (stack, base URL, facts about its storage)."""
    import redis

    mode = request.param
    port = free_port()
    server = _database_server()
    database = _database_name(mode.replace("-", "_"))
    _drop(database)
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{migrated_template}"')
    redis.Redis.from_url(_redis_url()).flushdb()

    env = {
        **_base_env(static_root),
        "DATABASE_URL": _with_database(server, database),
        "REDIS_URL": _redis_url(),
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Every confirmed import goes to the worker.
        "IMPORT_FOREGROUND_MAX_BYTES": "0",
        # A killed worker's job comes back after seconds here (minutes in production).
        "BROKER_VISIBILITY_TIMEOUT": "5",
        "WORKER_HEARTBEAT_SECONDS": "2",
    }
    storage: dict = {"mode": mode}
    moto = None
    per_process_media: dict[str, dict[str, str]] = {}
    if mode == "shared-volume":
        shared = tmp_path / "media"
        env["MEDIA_ROOT"] = str(shared)
        storage["media"] = shared
    else:
        from moto.server import ThreadedMotoServer

        moto_port = free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        import boto3

        endpoint = f"http://127.0.0.1:{moto_port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=BUCKET)
        env.update(
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=endpoint,
            AWS_S3_REGION_NAME="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )
        for name in ("web", "worker", "worker-2", "worker-slow"):
            per_process_media[name] = {"MEDIA_ROOT": str(tmp_path / f"{name}-media")}
        storage.update(s3=s3, media=[tmp_path / "web-media", tmp_path / "worker-media"])

    stack = Stack(tmp_path / "processes", env)
    started = time.monotonic()
    try:
        base = f"http://127.0.0.1:{port}"
        stack.start(
            "web",
            [PYTHON, "-m", "gunicorn", "peersupport.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
            **per_process_media.get("web", {}),
        )  # fmt: skip
        stack.start("worker", celery(*worker_args("worker")), **per_process_media.get("worker", {}))
        beat_home = stack.home("beat")
        stack.start(
            "beat",
            celery("beat", "--loglevel=INFO", "--schedule", str(beat_home / "celerybeat-schedule")),
        )
        wait_for("gunicorn", lambda: _healthz(base) is not None, timeout=30)
        TIMINGS[f"{mode}: processes up"] = time.monotonic() - started
        storage["per_process_media"] = per_process_media
        yield stack, base, storage
    finally:
        stack.stop_all()
        if moto is not None:
            moto.stop()
        _drop(database)
        redis.Redis.from_url(_redis_url()).flushdb()


def _healthz(base: str) -> dict | None:
    try:
        response = requests.get(f"{base}/healthz", timeout=10)
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None


# --- a person with a browser ---------------------------------------------------------


class Browser:
    """A cookie session that fills in forms the way a browser does (CSRF token and all)."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, data: dict, *, form_page: str | None = None, **kwargs):
        """Open the form's page (for the CSRF cookie), then send the form."""
        page = self.get(form_page or path)
        assert page.status_code == 200, f"{form_page or path}: {page.status_code}"
        token = self.session.cookies.get("csrftoken")
        assert token, "no CSRF cookie"
        return self.session.post(
            self.url(path),
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.url(form_page or path)},
            timeout=60,
            **kwargs,
        )

    def sign_in(self, email: str, password: str) -> None:
        response = self.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 200 and "/accounts/login/" not in response.url, response.url


def _bundle() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in VALID.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _run_id(page: str) -> int:
    match = re.search(r"/evaluation/runs/(\d+)/status/", page)
    assert match, "no run on the report page"
    return int(match.group(1))


def _run_finished(browser: Browser, run_id: int) -> bool:
    response = browser.get(f"/evaluation/runs/{run_id}/status/", allow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 302


def _request_run(browser: Browser, program_id: int, data: dict) -> str:
    """Ask for figures; the report page the request lands on."""
    report = f"/evaluation/reports/{program_id}/"
    response = browser.post(f"{report}run/", data, form_page=report)
    assert response.status_code == 200, response.status_code
    return response.text


# --- the test ------------------------------------------------------------------------


def test_the_production_shape_works_end_to_end(deployment, capsys):
    stack, base, storage = deployment
    mode = storage["mode"]
    health = wait_for(
        "the first heartbeat",
        lambda: (h := _healthz(base)) and h["worker"]["status"] == "ok" and h,
        timeout=30,
    )
    assert health["database"] == "ok" and health["broker"] == "ok", health

    # The organisation and its first coordinator, as in "Going live".
    output = stack.run(
        "setup",
        manage("setup_organisation", "--name", "Safe Harbour", "--slug", "safe-harbour",
               "--coordinator", "lead@example.org", "--no-require-mfa"),
    )  # fmt: skip
    link = re.search(r"http://127\.0\.0\.1:\d+/invite/\S+", output)
    assert link and link.group(0).startswith(base), output
    invited = Browser(base)
    accepted = invited.post(
        link.group(0),
        {"name": "Lead Coordinator", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert accepted.status_code == 200 and "/invite/" not in accepted.url

    coordinator = Browser(base)
    coordinator.sign_in("lead@example.org", PASSWORD)

    # Import a bundle: checked and imported by the worker (the web keeps no file).
    upload_page = coordinator.get("/import/")
    assert upload_page.status_code == 200
    token = coordinator.session.cookies.get("csrftoken")
    uploaded = coordinator.session.post(
        f"{base}/import/",
        data={"csrfmiddlewaretoken": token},
        files={"bundle": ("bundle.zip", _bundle(), "application/zip")},
        headers={"Referer": f"{base}/import/"},
        timeout=60,
    )
    assert uploaded.status_code == 200, uploaded.text[:2000]
    status_path = urlsplit(uploaded.url).path
    wait_for(
        "the dry run",
        lambda: "Dry run" in coordinator.get(status_path).text,
        timeout=60,
        every=0.5,
    )
    confirmed = coordinator.post(f"{status_path}confirm/", {}, form_page=status_path)
    assert confirmed.status_code == 200
    wait_for(
        "the import",
        lambda: ">Imported</h1>" in coordinator.get(status_path).text,
        timeout=60,
        every=0.5,
    )
    program_ids = re.findall(r'href="/programs/(\d+)/"', coordinator.get("/programs/").text)
    assert program_ids, "the imported program is not listed"
    program_id = int(program_ids[0])

    # Evaluation figures, computed by the worker.
    page = _request_run(coordinator, program_id, {"period": "all"})
    if re.search(r"/evaluation/runs/\d+/status/", page):  # still computing when drawn
        run_id = _run_id(page)
        wait_for("the evaluation run", lambda: _run_finished(coordinator, run_id), timeout=60)
    # Else the worker was done before the page came back: the page shows the figures.
    report = coordinator.get(f"/evaluation/reports/{program_id}/?period=all").text
    assert "participant" in report

    # An evaluator builds an export in the background and downloads it.
    stack.run(
        "evaluator",
        manage("shell", "-c", (
            "from peersupport.models import Membership, Organisation, User; "
            f"user = User.objects.create_user('evaluator@example.org', {PASSWORD!r}); "
            "Membership.objects.create(user=user, role='evaluator', "
            "organisation=Organisation.objects.get(slug='safe-harbour'))"
        )),
    )  # fmt: skip
    evaluator = Browser(base)
    evaluator.sign_in("evaluator@example.org", PASSWORD)
    queued_at = time.monotonic()
    job_page = evaluator.post(
        f"/exports/{program_id}/download/", EXPORT_FORM, form_page="/exports/"
    )
    assert "/exports/jobs/" in job_page.url, job_page.url
    file_link = wait_for(
        "the export",
        lambda: re.search(r'href="(/exports/file/[^"]+)"', evaluator.get(job_page.url).text),
        timeout=60,
        every=0.2,
    ).group(1)
    download = evaluator.get(file_link)
    TIMINGS[f"{mode}: export queued → downloaded"] = time.monotonic() - queued_at
    assert download.status_code == 200
    assert download.content[:2] == b"PK"
    _check_rows(download.content)
    _check_storage(storage)

    # The worker is killed in the middle of a run; a new worker finishes it.
    stack.kill("worker")
    stack.start(
        "worker-slow",
        [PYTHON, "-m", "tests.topology.slow_worker", "-A", "peersupport",
         *worker_args("slow")],
        SLOW_RUN_SECONDS="120",
        **storage["per_process_media"].get("worker-slow", {}),
    )  # fmt: skip
    run_id = _run_id(_request_run(coordinator, program_id, {"period": "year", "year": "1"}))
    wait_for(
        "the slow worker to start the run",
        lambda: (
            "Computing the figures" in coordinator.get(f"/evaluation/runs/{run_id}/status/").text
        ),
        timeout=30,
    )
    stack.kill("worker-slow", signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start(
        "worker-2",
        celery(*worker_args("worker2")),
        **storage["per_process_media"].get("worker-2", {}),
    )
    wait_for("the run after the kill", lambda: _run_finished(coordinator, run_id), timeout=60)
    TIMINGS[f"{mode}: run finished after SIGKILL"] = time.monotonic() - killed_at
    page = coordinator.get(f"/evaluation/reports/{program_id}/?period=year&year=1").text
    assert "Year 1" in page

    # Beat keeps the heartbeat fresh; every process still runs.
    final = _healthz(base)
    assert final and final["status"] == "ok", final
    assert final["worker"]["heartbeat_age_seconds"] <= 10
    for name in ("web", "beat", "worker-2"):
        assert stack.alive(name), f"{name} stopped:\n{stack.log(name)}"
    assert (stack.root / "beat" / "celerybeat-schedule").exists() or any(
        (stack.root / "beat").glob("celerybeat-schedule*")
    )
    with capsys.disabled():
        print()
        for what, seconds in TIMINGS.items():
            if what.startswith(f"{mode}:") or "(once)" in what:
                print(f"  {what}: {seconds:.1f}s")


def _check_rows(content: bytes) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    header, data = rows[0], rows[1:]
    assert header and len(data) >= 1, rows
    flat = " ".join(str(v) for row in rows for v in row if v is not None)
    assert "Zelda" not in flat  # de-identified


def _check_storage(storage: dict) -> None:
    if storage["mode"] == "shared-volume":
        exports = [p for p in storage["media"].rglob("*") if p.is_file() and "export" in str(p)]
        assert exports, "the worker wrote no export file on the shared volume"
        return
    names = [
        item["Key"] for item in storage["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])
    ]
    assert any("export" in name for name in names), names
    for media in storage["media"]:
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*")), media
