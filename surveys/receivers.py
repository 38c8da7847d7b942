"""What the surveys app answers for the apps it builds on (connected in apps.py)."""

from django.dispatch import receiver

from participants.signals import participant_records_asked

from .models import Administration


@receiver(participant_records_asked)
def participant_has_administrations(sender, *, participant, **kwargs) -> bool:
    return Administration.objects.filter(enrollment__participant=participant).exists()
