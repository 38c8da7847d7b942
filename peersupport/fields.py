"""Encrypted model fields for identifying values (names, phone, email, safe-contact notes).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under ``FIELD_ENCRYPTION_KEY``.
Several comma-separated keys may be configured: the first encrypts, all decrypt, so a
deployment can rotate keys. Encrypted values cannot be searched or ordered by the
database; the pseudonymous participant code is what people search by.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be url-safe base64 Fernet keys "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. Empty strings are stored as empty strings."""

    #: Marks the field as identifying: the audit log masks its values.
    identifying = True

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                f"Cannot decrypt {self.model.__name__}.{self.name}: wrong FIELD_ENCRYPTION_KEY?"
            ) from exc

    def get_internal_type(self):
        return "TextField"
