"""Retiring an encryption key: ``rotate_encryption_key`` re-encrypts every encrypted value
under the first key, in resumable batches, and ``--check`` says when the old key can go.
Runs on the configured database (PostgreSQL in CI)."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db.models import ExpressionWrapper, F, TextField

from participants.models import Participant
from peersupport import rotation
from peersupport.fields import EncryptedFieldLookupError, encrypted_fields
from peersupport.models import AuditEntry
from tests.factories import ParticipantFactory

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()

pytestmark = pytest.mark.django_db


def stored_tokens(field: str) -> dict[int, str]:
    """The column as stored (ciphertext), by primary key."""
    raw = ExpressionWrapper(F(field), output_field=TextField())
    return dict(Participant.objects.annotate(raw=raw).values_list("pk", "raw"))


def opens(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def run(*args) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def under_key_a(settings, org):
    """Five participants with names and phones written under key A, one without a name."""
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    people = [
        ParticipantFactory(organisation=org, preferred_name=f"Rosa {n}", phone=f"555-010{n}")
        for n in range(5)
    ]
    people.append(ParticipantFactory(organisation=org, preferred_name="", phone=""))
    return people


def test_every_encrypted_field_is_found_through_the_app_registry():
    labels = {rotation.field_label(f) for f in encrypted_fields()}
    assert {
        "participants.Participant.preferred_name",
        "participants.Participant.legal_name",
        "participants.Participant.phone",
        "participants.Participant.email",
        "participants.Participant.safe_contact",
    } <= labels


def test_after_rotation_every_record_reads_back_with_the_new_key_alone(settings, under_key_a):
    stamps = dict(Participant.objects.values_list("pk", "updated_at"))
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]

    out = run("--batch-size", "2")

    assert "Done: 10 value(s) re-encrypted" in out
    assert "participants.Participant.preferred_name: 4 read, 4 re-encrypted" in out
    settings.FIELD_ENCRYPTION_KEY = [KEY_B]
    by_code = {p.code: p for p in Participant.objects.all()}
    for person in under_key_a:
        again = by_code[person.code]
        assert (again.preferred_name, again.phone) == (person.preferred_name, person.phone)
    assert all(opens(KEY_B, token) for token in stored_tokens("preferred_name").values() if token)
    # no save(): the "last modified" stamps are those of before the rotation
    assert dict(Participant.objects.values_list("pk", "updated_at")) == stamps


def test_a_rotation_writes_one_audit_entry_with_counts_only(settings, under_key_a):
    before = AuditEntry.objects.count()
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]

    run()

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.get(action="encryption.rotate")
    assert entry.detail["rotated"] == 10 and entry.detail["completed"] is True
    assert entry.detail["fields"]["participants.Participant.phone"] == 5
    assert "Rosa" not in str(entry.detail) and KEY_B not in str(entry.detail)


def test_an_interrupted_rotation_finishes_when_run_again(settings, under_key_a, monkeypatch):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]
    rewrite = rotation._rewrite
    calls = []

    def stop_after_the_first_batch(field, rows):
        calls.append(field.name)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return rewrite(field, rows)

    monkeypatch.setattr(rotation, "_rewrite", stop_after_the_first_batch)
    with pytest.raises(KeyboardInterrupt):
        run("--batch-size", "2")
    first_field = calls[0]
    tokens = [t for t in stored_tokens(first_field).values() if t]
    assert sum(opens(KEY_B, t) for t in tokens) == 2  # the first batch was committed
    assert AuditEntry.objects.get(action="encryption.rotate").detail["completed"] is False

    monkeypatch.setattr(rotation, "_rewrite", rewrite)
    out = run("--batch-size", "2")

    assert "Done: 8 value(s) re-encrypted" in out  # the first batch is not done twice
    settings.FIELD_ENCRYPTION_KEY = [KEY_B]
    assert sorted(p.preferred_name for p in Participant.objects.all()) == sorted(
        p.preferred_name for p in under_key_a
    )


def test_check_counts_old_values_per_field_and_fails_until_none_remain(settings, under_key_a):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]
    phones = stored_tokens("phone")
    out = io.StringIO()
    with pytest.raises(CommandError, match="10 value\\(s\\) still use an old key"):
        call_command("rotate_encryption_key", "--check", stdout=out)
    assert "participants.Participant.phone: 5 of 5 value(s) under an old key" in out.getvalue()
    assert "participants.Participant.email: 0 of 0" in out.getvalue()
    assert stored_tokens("phone") == phones  # nothing was written
    assert not AuditEntry.objects.filter(action="encryption.rotate").exists()

    run()

    assert "0 values use an old key" in run("--check")


def test_check_reports_values_under_a_key_no_longer_configured(settings, under_key_a):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B]  # key A removed before rotating
    with pytest.raises(CommandError, match="10 use no configured key"):
        run("--check")
    with pytest.raises(CommandError, match="could not be opened with any configured key"):
        run()
    assert all(opens(KEY_A, t) for t in stored_tokens("phone").values() if t)  # untouched


def test_a_value_changed_during_the_rotation_is_not_overwritten(settings, under_key_a):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]
    person = under_key_a[0]
    read = stored_tokens("preferred_name")[person.pk]
    person.preferred_name = "Renamed"
    person.save()  # after the rotation read the old token, before it writes

    changed = rotation._rewrite(
        Participant._meta.get_field("preferred_name"),
        [(person.pk, read, Fernet(KEY_B.encode()).encrypt(b"Rosa 0").decode())],
    )

    assert changed == 0
    assert Participant.objects.get(pk=person.pk).preferred_name == "Renamed"


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="--batch-size"):
        run("--batch-size", "0")


@pytest.mark.parametrize(
    "lookup",
    [
        {"preferred_name": "Rosa"},
        {"preferred_name__iexact": "rosa"},
        {"legal_name__icontains": "Ro"},
        {"phone__startswith": "555"},
        {"email__in": ["a@example.org"]},
        {"preferred_name__lower": "rosa"},
        {"preferred_name": F("legal_name")},
    ],
)
def test_a_filter_on_an_encrypted_field_raises_instead_of_matching_nothing(lookup):
    with pytest.raises(EncryptedFieldLookupError, match="is encrypted and cannot be searched"):
        Participant.objects.filter(**lookup)


def test_the_lookup_error_names_the_field_but_never_the_value_searched_for():
    with pytest.raises(EncryptedFieldLookupError) as error:
        Participant.objects.exclude(preferred_name="Rosa Secret")
    assert "Participant.preferred_name" in str(error.value)
    assert "Rosa Secret" not in str(error.value)


def test_whether_an_encrypted_field_is_filled_in_can_still_be_asked(org):
    named = ParticipantFactory(organisation=org, preferred_name="Rosa")
    ParticipantFactory(organisation=org, preferred_name="")

    assert list(Participant.objects.exclude(preferred_name="")) == [named]
    assert Participant.objects.filter(preferred_name=None).count() == 0
    assert Participant.objects.filter(preferred_name__isnull=False).count() == 2
