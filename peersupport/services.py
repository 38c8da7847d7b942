"""Writes for organisations and accounts: invitations and memberships."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import log_action, model_update
from .models import Invitation, Membership, Organisation, Role, User, hash_token


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, by: User | None, request=None
) -> tuple[Invitation, str]:
    """Create an invitation. Returns it and the raw token (only its hash is stored)."""
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email.lower(),
        role=role,
        token_hash=hash_token(token),
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    log_action(
        actor=by,
        action="invitation.create",
        obj=invitation,
        changes={"role": [None, role]},
        request=request,
    )
    return invitation, token


def invitation_email_send(*, invitation_id: int, link: str) -> None:
    """Email the one-time link (run by a Celery task)."""
    invitation = Invitation.objects.select_related("organisation").get(pk=invitation_id)
    if not invitation.is_usable:
        return
    body = render_to_string(
        "peersupport/email/invitation.txt",
        {
            "organisation": invitation.organisation,
            "role": invitation.get_role_display(),
            "link": link,
            "days": settings.INVITATION_VALID_DAYS,
        },
    )
    send_mail(
        _("You are invited to %(org)s") % {"org": invitation.organisation.name},
        body,
        None,
        [invitation.email],
    )


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, name: str, password: str, request=None) -> User:
    """Create (or reuse) the account, give it the invited role, and spend the link."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError("invitation is not usable")
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        user = User.objects.create_user(email=invitation.email, password=password, name=name)
    Membership.objects.update_or_create(
        user=user,
        organisation=invitation.organisation,
        defaults={"role": invitation.role, "is_active": True},
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    log_action(
        actor=user,
        action="invitation.accept",
        obj=invitation,
        changes={"accepted": [False, True]},
        request=request,
    )
    return user


@transaction.atomic
def membership_set_role(
    *, membership: Membership, role: str, is_active: bool, by: User, request=None
) -> Membership:
    membership, _changes = model_update(
        instance=membership,
        data={"role": role, "is_active": is_active},
        by=by,
        action="membership.update",
        request=request,
    )
    return membership


class OrganisationExists(Exception):
    """``organisation_setup`` found the slug taken: nothing was changed."""


@transaction.atomic
def organisation_setup(
    *, name: str, slug: str, coordinator_email: str, require_mfa: bool = True
) -> tuple[Organisation, Invitation, str]:
    """First run on an empty database: the organisation and an invitation for its first
    coordinator. Returns both and the raw token of the one-time link. A slug already in
    use raises ``OrganisationExists`` and changes nothing, so running it twice is safe."""
    if Organisation.objects.filter(slug=slug).exists():
        raise OrganisationExists(slug)
    organisation = Organisation.objects.create(name=name, slug=slug, require_mfa=require_mfa)
    log_action(
        actor=None,
        action="organisation.setup",
        obj=organisation,
        changes={"slug": [None, slug], "require_mfa": [None, require_mfa]},
    )
    invitation, token = invitation_create(
        organisation=organisation, email=coordinator_email, role=Role.COORDINATOR, by=None
    )
    return organisation, invitation, token


@transaction.atomic
def organisation_settings_update(*, organisation: Organisation, data, by, request=None):
    """Change the organisation's safety settings (quick exit, discreet mode, contact
    access, data minimisation); one audit entry listing what changed."""
    organisation, _changes = model_update(
        instance=organisation,
        data=data,
        fields=Organisation.SAFETY_SETTINGS,
        by=by,
        action="organisation.settings",
        request=request,
        check=lambda o: o.full_clean(exclude=["slug"]),
    )
    return organisation
