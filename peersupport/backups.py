"""One-file backups of the database and the stored files, and their restore
(``manage.py backup`` / ``manage.py restore``).

An archive is a ``.tar.gz`` holding ``manifest.json`` (app version, schema = the latest
applied migration of each app, database vendor, creation time, and every other member
with its size and SHA-256), the database dump (``pg_dump --format=custom`` on PostgreSQL,
SQLite's online backup on SQLite) and every file of the default storage under ``files/``,
read through the storage API (file system or object store alike).

``FIELD_ENCRYPTION_KEY`` is never in an archive: encrypted fields stay encrypted in the
dump, so a stolen backup does not give away names, and the key must be kept elsewhere.

A restore checks the whole archive before touching anything: readable to the end, the
manifest present, every checksum right, the same database vendor, the same schema as
this code's migrations, and (unless forced) an empty database.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from . import storage
from .audit import log_action

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
FILES = "files/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup cannot be made or the archive cannot be restored; the message says why."""


# --- what the code and the database are ---------------------------------------------


def app_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _by_app(nodes) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for app_label, name in nodes:
        grouped[app_label].append(name)
    return {app_label: sorted(names) for app_label, names in sorted(grouped.items())}


def code_schema() -> dict[str, list[str]]:
    """The last migration(s) of each app in this code."""
    return _by_app(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def applied_schema(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    """The latest applied migration(s) of each app in the database: those applied with no
    applied successor in the same app."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations or {})
    latest = []
    for key in applied:
        node = loader.graph.node_map.get(key)
        children = node.children if node is not None else set()
        if not any(child in applied and child[0] == key[0] for child in children):
            latest.append(key)
    return _by_app(latest)


def database_holds_records(connection: BaseDatabaseWrapper) -> bool:
    """Whether any table of this project's apps (users, organisations, participants …)
    has a row; an empty or freshly migrated database has none."""
    base = Path(settings.BASE_DIR).resolve()
    tables = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table not in tables:
            continue
        if not Path(meta.app_config.path).resolve().is_relative_to(base):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {quote(meta.db_table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                return True
    return False


# --- PostgreSQL client programs --------------------------------------------------------


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The environment that points pg_dump / pg_restore at ``connection``'s database (the
    password in the environment, not on a command line)."""
    from django.db.backends.postgresql.client import DatabaseClient

    params = connection.settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(params, [])
    env = {**os.environ, **{k: str(v) for k, v in (extra or {}).items() if v}}
    for variable, value in (
        ("PGHOST", params.get("HOST")),
        ("PGPORT", params.get("PORT")),
        ("PGUSER", params.get("USER")),
        ("PGDATABASE", params.get("NAME")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        finished = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            command, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client programs of the "
            "server's major version (e.g. the postgresql-client package)."
        ) from error
    if finished.returncode != 0:
        message = " ".join(finished.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{command[0]} failed: {message}")


# --- backup ------------------------------------------------------------------------------


def _dump(connection: BaseDatabaseWrapper, target: Path) -> None:
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--file", str(target)], _pg_env(connection))
        return
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # one consistent snapshot, while others write
    finally:
        copy.close()


def stored_names(top: str = "") -> list[str]:
    """Every file in the default storage, by name."""
    try:
        folders, files = default_storage.listdir(top)
    except FileNotFoundError:  # nothing stored yet: no MEDIA_ROOT
        return []
    names = [posixpath.join(top, name) for name in files]
    for folder in folders:
        names.extend(stored_names(posixpath.join(top, folder)))
    return sorted(names)


def _safe_member(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts


def _describe(name: str, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return {"name": name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(timezone.now().timestamp())
    return info


def backup_create(
    *, path: str | Path, connection: BaseDatabaseWrapper = default_connection, actor=None
) -> dict[str, Any]:
    """Write the archive to ``path`` (refusing to replace a file) and answer its manifest.
    The archive appears only when complete."""
    path = Path(path)
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    if path.exists():
        raise BackupError(f"{path} already exists: give the name of a new file.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory.")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as staging_dir:
        staging = Path(staging_dir)
        members: list[tuple[str, Path]] = [(DUMPS[vendor], staging / DUMPS[vendor])]
        _dump(connection, members[0][1])
        schema = applied_schema(connection)
        for number, name in enumerate(stored_names()):
            if not _safe_member(name):
                raise BackupError(f"A stored file has a name a backup cannot hold: {name!r}")
            copy = staging / f"file-{number}"
            with default_storage.open(name, "rb") as source, open(copy, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
            members.append((FILES + name, copy))
        manifest = {
            "format": FORMAT,
            "app": "peersupport",
            "version": app_version(),
            "schema": schema,
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "files": [_describe(name, local) for name, local in members],
        }
        encoded = json.dumps(manifest, indent=2).encode()
        partial = path.with_name(f".{path.name}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.addfile(_tarinfo(MANIFEST, len(encoded)), io.BytesIO(encoded))
            for name, local in members:
                with open(local, "rb") as handle:
                    tar.addfile(_tarinfo(name, local.stat().st_size), handle)
        os.replace(partial, path)
    log_action(
        actor=actor,
        action="backup.create",
        detail={
            "stored_files": len(members) - 1,
            "bytes": path.stat().st_size,
            "vendor": vendor,
        },
    )
    return manifest


# --- restore -----------------------------------------------------------------------------


def _damaged(path: Path) -> BackupError:
    return BackupError(
        f"{path} is damaged or incomplete (truncated?): it cannot be read to the end. "
        "Nothing was restored."
    )


def archive_check(
    *, path: str | Path, into: Path, connection: BaseDatabaseWrapper = default_connection
) -> dict[str, Any]:
    """Unpack the archive into ``into`` and check all of it: the manifest, every member's
    size and SHA-256, the vendor and the schema. Answers the manifest; raises
    ``BackupError`` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    found: dict[str, dict[str, Any]] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for number, member in enumerate(tar):
                if not member.isfile() or not _safe_member(member.name):
                    raise BackupError(f"{path} holds an unexpected entry: {member.name!r}.")
                if member.name in found or (member.name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"{path} holds {member.name!r} twice.")
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                if member.name == MANIFEST:
                    manifest_bytes = source.read(10 * CHUNK)
                    continue
                local = into / f"member-{number}"
                digest, size = hashlib.sha256(), 0
                with open(local, "wb") as target:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        target.write(chunk)
                found[member.name] = {"size": size, "sha256": digest.hexdigest(), "path": local}
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise _damaged(path) from error
    if manifest_bytes is None:
        raise BackupError(f"{path} has no {MANIFEST}: it is not a peersupport backup.")
    try:
        manifest = json.loads(manifest_bytes)
        listed = {entry["name"]: entry for entry in manifest["files"]}
        vendor, schema = manifest["vendor"], manifest["schema"]
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{path}: {MANIFEST} cannot be read.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is in backup format {manifest.get('format')!r}, not {FORMAT}.")
    if set(listed) != set(found):
        missing = sorted(set(listed) - set(found))
        extra = sorted(set(found) - set(listed))
        raise BackupError(
            f"{path} does not hold what its manifest lists (missing: {missing}, "
            f"not listed: {extra}). Nothing was restored."
        )
    for name, entry in listed.items():
        if (entry.get("size"), entry.get("sha256")) != (
            found[name]["size"],
            found[name]["sha256"],
        ):
            raise BackupError(
                f"{path}: the checksum of {name!r} does not match the manifest: the archive "
                "was damaged or changed. Nothing was restored."
            )
    if vendor != connection.vendor or DUMPS.get(vendor) not in found:
        raise BackupError(
            f"{path} is a backup of a {vendor} database; this database is "
            f"{connection.vendor}. Nothing was restored."
        )
    expected = code_schema()
    if schema != expected:
        differ = sorted(
            app for app in set(schema) | set(expected) if schema.get(app) != expected.get(app)
        )
        raise BackupError(
            f"{path} was made with another version of the database schema (apps "
            f"{', '.join(differ)} differ; backup made by version "
            f"{manifest.get('version', 'unknown')}, this is {app_version()}): restore it "
            "with the version of the app that made it. Nothing was restored."
        )
    for name, entry in found.items():
        listed[name]["path"] = entry["path"]
    manifest["files"] = list(listed.values())
    return manifest


def _load(connection: BaseDatabaseWrapper, dump: Path) -> None:
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                str(params.get("NAME") or ""),
                str(dump),
            ],
            _pg_env(connection),
        )
        return
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        # replaces the whole database in one step, under the database's lock
        source.backup(connection.connection)
    finally:
        source.close()


def backup_restore(
    *,
    path: str | Path,
    force: bool = False,
    connection: BaseDatabaseWrapper = default_connection,
    actor=None,
) -> dict[str, Any]:
    """Check the archive, then replace the database with its dump and write its files
    back through the storage API. Refuses a database holding records unless ``force``.
    Answers the manifest."""
    if connection.in_atomic_block:
        raise BackupError("A restore cannot run inside a transaction.")
    with tempfile.TemporaryDirectory(prefix="peersupport-restore-") as unpacked:
        manifest = archive_check(path=path, into=Path(unpacked), connection=connection)
        if not force and database_holds_records(connection):
            raise BackupError(
                "The database already holds records: a restore would replace all of them. "
                "Restore into an empty database, or pass --force to replace it. "
                "Nothing was restored."
            )
        entries = {entry["name"]: entry for entry in manifest["files"]}
        _load(connection, entries[DUMPS[connection.vendor]]["path"])
        written = 0
        for name, entry in entries.items():
            if name.startswith(FILES):
                stored = name[len(FILES) :]
                if storage.save(stored, entry["path"]) != stored:
                    raise BackupError(f"The storage kept {stored!r} under another name.")
                written += 1
    log_action(
        actor=actor,
        action="backup.restore",
        detail={
            "stored_files": written,
            "created_at": manifest["created_at"],
            "version": manifest.get("version", ""),
            "forced": force,
        },
    )
    return manifest
