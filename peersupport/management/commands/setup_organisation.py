"""First run on an empty production database: the organisation and its first coordinator."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email, validate_slug
from django.urls import reverse

from peersupport import services, tasks
from peersupport.tasking import enqueue


class Command(BaseCommand):
    help = (
        "Create an organisation and a one-time invitation link for its first coordinator "
        "(printed, and e-mailed when e-mail is configured). Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument("--slug", required=True, help="Short name: letters, digits, -.")
        parser.add_argument("--coordinator", required=True, metavar="EMAIL")
        parser.add_argument(
            "--no-require-mfa",
            action="store_true",
            help="Do not require two-factor sign-in (it is required by default).",
        )

    def handle(self, *args, name, slug, coordinator, no_require_mfa, **options):
        name = name.strip()
        if not name:
            raise CommandError("--name: give the organisation's name.")
        try:
            validate_slug(slug)
        except ValidationError as error:
            raise CommandError(
                f"--slug {slug!r}: use only letters, digits, hyphens and underscores."
            ) from error
        try:
            validate_email(coordinator)
        except ValidationError as error:
            raise CommandError(f"--coordinator {coordinator!r}: not an e-mail address.") from error
        try:
            organisation, invitation, token = services.organisation_setup(
                name=name,
                slug=slug,
                coordinator_email=coordinator,
                require_mfa=not no_require_mfa,
            )
        except services.OrganisationExists:
            self.stdout.write(
                f"The organisation {slug!r} already exists; nothing was changed. "
                "Its coordinators invite further people from Organisation → Members."
            )
            return
        link = settings.SITE_URL + reverse("invitation_accept", args=[token])
        self.stdout.write(f"Created the organisation {organisation.name!r} ({organisation.slug}).")
        self.stdout.write(
            f"One-time link for the first coordinator, {invitation.email}, valid "
            f"{settings.INVITATION_VALID_DAYS} days:"
        )
        self.stdout.write(link)
        if not settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
            queued = enqueue(
                tasks.send_invitation_email, invitation.pk, link, organisation=organisation
            )
            if queued is None:
                self.stdout.write(
                    "The background worker could not be reached: give the link by hand."
                )
            else:
                self.stdout.write(f"The link is being e-mailed to {invitation.email}.")
