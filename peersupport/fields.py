"""Encrypted model fields for identifying values (names, phone, email, safe-contact notes).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under ``FIELD_ENCRYPTION_KEY``.
Several comma-separated keys may be configured: the first encrypts, all decrypt, so a
deployment can rotate keys (``manage.py rotate_encryption_key`` re-encrypts every value
under the first key). Encrypted values cannot be searched or ordered by the database; the
pseudonymous participant code is what people search by, and a filter on an encrypted
field raises ``EncryptedFieldLookupError`` rather than silently matching nothing.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact


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


@lru_cache(maxsize=4)
def _first(key: str) -> Fernet:
    return Fernet(key.encode())


def under_first_key(token: str) -> bool:
    """Whether ``token`` was encrypted with the first (current) key, not an older one."""
    keys = settings.FIELD_ENCRYPTION_KEY
    fernet()  # a malformed key is reported as a configuration error
    try:
        _first(keys[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """``token`` encrypted again under the first key (its plaintext and timestamp kept);
    ``InvalidToken`` when no configured key opens it."""
    return fernet().rotate(token.encode()).decode()


class EncryptedFieldLookupError(FieldError):
    """A query tried to search or compare an encrypted field in the database."""


def _refuse(field: models.Field, lookup_name: str) -> EncryptedFieldLookupError:
    where = f"{field.model.__name__}.{field.name}" if hasattr(field, "model") else field.name
    return EncryptedFieldLookupError(
        f"{where} is encrypted and cannot be searched or compared in the database "
        f"(lookup {lookup_name!r}): each value is a different ciphertext, so the query "
        "would silently match nothing. Only __isnull and an exact match on '' or None "
        "are allowed; search participants by their code."
    )


class _EmptyOnlyExact(Exact):
    """``field=""`` / ``field=None`` (is it filled in?) and nothing else."""

    def get_prep_lookup(self):
        if not (self.rhs is None or (isinstance(self.rhs, str) and self.rhs == "")):
            raise _refuse(self.lhs.output_field, "exact")
        return super().get_prep_lookup()


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

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        raise _refuse(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _refuse(self, lookup_name)


def encrypted_fields() -> list[models.Field]:
    """Every encrypted field of every installed model (each table's own fields once),
    found through the app registry, so a new encrypted field is rotated without being
    listed anywhere."""
    found: list[models.Field] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        found.extend(f for f in meta.local_concrete_fields if isinstance(f, EncryptedTextField))
    return sorted(found, key=lambda f: (f.model._meta.label, f.name))
