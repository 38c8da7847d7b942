"""Ready-made program structures a coordinator can start from.

Plain data: each template names its modules (in order, with their number of weeks) and a
neutral title for every week. Titles are translated when a program is created from a
template, in the language of the coordinator who creates it; after that they are the
program's own text and can be edited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ModuleTemplate:
    name: str
    weeks: int


@dataclass(frozen=True)
class ProgramTemplate:
    key: str
    name: str
    description: str
    target_population: str
    session_minutes: int
    modules: tuple[ModuleTemplate, ...]
    topics: tuple[str, ...]

    @property
    def total_weeks(self) -> int:
        return sum(m.weeks for m in self.modules)


PEER_SUPPORT_20 = ProgramTemplate(
    key="peer-support-20",
    name=_("20-week peer support program"),
    description=_(
        "A 6-week self-esteem module (Finding our Voices) followed by a 14-week growth "
        "circle; one 3-hour group session a week."
    ),
    target_population=_("Women"),
    session_minutes=180,
    modules=(
        ModuleTemplate(_("Finding our Voices"), 6),
        ModuleTemplate(_("Growth circle"), 14),
    ),
    topics=(
        # Finding our Voices (weeks 1-6)
        _("Welcome and group agreements"),
        _("Who am I? Strengths and values"),
        _("Self-talk and self-esteem"),
        _("Feelings and how we express them"),
        _("Boundaries and saying no"),
        _("Our voices: celebrating progress"),
        # Growth circle (weeks 7-20)
        _("Opening the growth circle"),
        _("Stress and coping"),
        _("Healthy relationships"),
        _("Communication and conflict"),
        _("Health and wellbeing"),
        _("Safety planning"),
        _("Money and everyday life"),
        _("Housing and community resources"),
        _("Learning, work and goals"),
        _("Support networks"),
        _("Grief, loss and resilience"),
        _("Hopes and plans"),
        _("Giving back: peer support"),
        _("Closing circle and next steps"),
    ),
)

PEER_COUNSELLOR_10 = ProgramTemplate(
    key="peer-counsellor-10",
    name=_("10-week peer-counsellor training"),
    description=_("Training for peers who will support others one-to-one and in groups."),
    target_population=_("Program graduates preparing to become peer counsellors"),
    session_minutes=180,
    modules=(
        ModuleTemplate(_("Foundations of peer support"), 4),
        ModuleTemplate(_("Counselling skills practice"), 6),
    ),
    topics=(
        _("What peer support is and is not"),
        _("Confidentiality and ethics"),
        _("Trauma-informed practice"),
        _("Self-care for peer counsellors"),
        _("Active listening"),
        _("Asking open questions"),
        _("Supporting someone in crisis"),
        _("Referrals and community resources"),
        _("Facilitating a group"),
        _("Practice, feedback and graduation"),
    ),
)

HEALTH_EDUCATOR_8 = ProgramTemplate(
    key="health-educator-8",
    name=_("Peer health-educator course"),
    description=_("An 8-week course for peers who will share health information in the community."),
    target_population=_("Peers preparing to become health educators"),
    session_minutes=180,
    modules=(
        ModuleTemplate(_("Health topics"), 6),
        ModuleTemplate(_("Teaching practice"), 2),
    ),
    topics=(
        _("The role of a peer health educator"),
        _("Sexual health"),
        _("Substance use and harm reduction"),
        _("Mental health"),
        _("Nutrition and everyday health"),
        _("Navigating health services"),
        _("Preparing a workshop"),
        _("Delivering a workshop and graduation"),
    ),
)

TEMPLATES: dict[str, ProgramTemplate] = {
    t.key: t for t in (PEER_SUPPORT_20, PEER_COUNSELLOR_10, HEALTH_EDUCATOR_8)
}


def template_choices() -> list[tuple[str, str]]:
    return [(t.key, t.name) for t in TEMPLATES.values()]
