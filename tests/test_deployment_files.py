"""The image build context keeps secrets and participants' data out of the image."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dockerignore_keeps_secrets_databases_and_files_out_of_the_image():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".env", ".env.*", "db.sqlite3", "media/", ".venv/", "test-artifacts/", ".git/"):
        assert needed in patterns, f".dockerignore must exclude {needed}"
