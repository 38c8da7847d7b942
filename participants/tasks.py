from celery import shared_task
from django.utils import timezone

from peersupport.models import Organisation

from . import services


@shared_task
def purge_due_records() -> int:
    """Nightly (beat): each organisation with a retention schedule purges what is due
    (``services.retention_purge``); how many participants were purged in all."""
    today = timezone.localdate()
    purged = 0
    for organisation in Organisation.objects.filter(retention_months__isnull=False):
        purged += services.retention_purge(organisation=organisation, on=today)["participants"]
    return purged
