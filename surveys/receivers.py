"""What the surveys app answers for the apps it builds on (connected in apps.py)."""

from django.dispatch import receiver

from participants.signals import participant_erased, participant_records_asked

from .models import Administration, Answer, SurveyLink


@receiver(participant_records_asked)
def participant_has_administrations(sender, *, participant, **kwargs) -> bool:
    return Administration.objects.filter(enrollment__participant=participant).exists()


@receiver(participant_erased)
def remove_survey_answers(sender, *, participant, keep_scores, **kwargs) -> dict:
    """Her item answers go; her surveys (scores) too unless the policy keeps the scores,
    which then count as anonymous figures under the erased record."""
    administrations = Administration.objects.filter(enrollment__participant=participant)
    answers, _by_model = Answer.objects.filter(administration__in=administrations).delete()
    SurveyLink.objects.filter(enrollment__participant=participant).delete()
    removed = {"survey_answers_removed": answers, "surveys_removed": 0}
    if not keep_scores:
        removed["surveys_removed"], _by_model = administrations.delete()
    return removed
