"""Settings for the test suite: production-like, with explicit throwaway secrets.

Environment defaults are set before the main settings read the environment, so a
developer's ``.env`` (DEBUG=1 and so on) does not leak into the tests.
"""

import os

for _name, _value in {
    "DEBUG": "0",
    "SECRET_KEY": "test-secret-key-not-for-production-0123456789abcdef",
    "FIELD_ENCRYPTION_KEY": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI=",
    "NAME_INDEX_KEY": "test-only-name-index-key-0123456789abcdef",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "WHITENOISE_USE_FINDERS": "1",
    "REDIS_URL": "",
}.items():
    os.environ.setdefault(_name, _value)

from .settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
