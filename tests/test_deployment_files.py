"""The image build context keeps secrets and participants' data out of the image, and
docker-compose.yml works as shipped."""

import importlib.util
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_dockerignore_keeps_secrets_databases_and_files_out_of_the_image():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".env", ".env.*", "db.sqlite3", "media/", ".venv/", "test-artifacts/", ".git/"):
        assert needed in patterns, f".dockerignore must exclude {needed}"


# --- docker-compose.yml works as shipped ---------------------------------------------

APP_SERVICES = ("migrate", "web", "worker", "beat")
S3_SETTINGS = ("AWS_STORAGE_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command(service: dict) -> list[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def mounts(service: dict) -> dict[str, str]:
    """Mount path → named volume (or host path) of a service."""
    found = {}
    for spec in service.get("volumes") or []:
        source, target = spec.split(":")[:2]
        found[target] = source
    return found


def test_compose_runs_web_worker_beat_postgresql_16_and_redis_7():
    services = compose()["services"]
    assert set(APP_SERVICES) | {"db", "redis"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


def test_web_and_worker_share_the_stored_files():
    """Either the same named volume at the same MEDIA_ROOT, or the same object store."""
    services = compose()["services"]
    web, worker = services["web"], services["worker"]
    if all(name in web.get("environment", {}) for name in S3_SETTINGS):
        for name in S3_SETTINGS:
            assert worker["environment"].get(name) == web["environment"][name]
        return
    media_root = web["environment"]["MEDIA_ROOT"]
    assert worker["environment"]["MEDIA_ROOT"] == media_root
    volume = mounts(web).get(media_root)
    assert volume, f"web does not mount a volume at MEDIA_ROOT {media_root}"
    assert mounts(worker).get(media_root) == volume
    assert volume in compose()["volumes"], "the media volume must be a named volume"


def test_beat_keeps_its_schedule_on_a_volume():
    beat = compose()["services"]["beat"]
    args = command(beat)
    schedule = args[args.index("--schedule") + 1]
    assert not schedule.startswith("/tmp/")
    mounted = [path for path in mounts(beat) if schedule.startswith(path.rstrip("/") + "/")]
    assert mounted, f"beat's schedule {schedule} is not on a volume"
    assert mounts(beat)[mounted[0]] in compose()["volumes"]
    # The image makes the mount points its user's, so a new volume is writable.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /data/media /data/beat && chown -R app /data" in dockerfile


def test_every_services_command_exists():
    services = compose()["services"]
    for name in APP_SERVICES:
        args = command(services[name])
        if args[0] == "celery":
            assert args[1:3] == ["-A", "peersupport"], name
            assert args[3] in ("worker", "beat"), name
            assert importlib.util.find_spec("peersupport.celery"), name
        elif args[0] == "gunicorn":
            module, _, attribute = args[1].partition(":")
            assert module == "peersupport.wsgi" and attribute == "application", name
            assert (ROOT / "peersupport" / "wsgi.py").exists()
            assert "application =" in (ROOT / "peersupport" / "wsgi.py").read_text()
        else:
            assert args[:3] == ["python", "manage.py", "migrate"], name
    assert "celery -A peersupport worker" in " ".join(command(services["worker"]))
    assert "celery -A peersupport beat" in " ".join(command(services["beat"]))


def test_migrations_run_once_before_the_app_starts():
    services = compose()["services"]
    assert command(services["migrate"])[:3] == ["python", "manage.py", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert "migrate" not in " ".join(command(services[name])), name
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_health_checks_use_healthz_and_the_worker_ping():
    services = compose()["services"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in web_check
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A peersupport inspect ping" in worker_check
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"], name
