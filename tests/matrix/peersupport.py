from peersupport.audit import log_action
from tests.matrix.base import Entry, any_member, coordinator_only


def build(world):
    membership = world.org.memberships.filter(role="evaluator").get()
    world.evaluator_membership = membership
    # The audit log is rendered with realistic rows, not an empty table: a change of a
    # field named ``items`` (an instrument's items) once broke its template.
    log_action(actor=world.coordinator, action="auth.login", obj=world.coordinator)
    log_action(
        actor=world.coordinator,
        action="instrument.create",
        obj=membership,
        organisation=world.org,
        changes={"name": [None, "General self-efficacy"], "items": [None, 10]},
        detail={"items": 10, "keys": ["a", "b"]},
    )


ENTRIES = [
    # Each role is redirected to its dashboard (settings.ROLE_HOME) once that page exists;
    # until then it sees the generic home page (200). Set a role to 302 when adding its page.
    Entry(
        "home",
        {
            "anonymous": 302,
            "coordinator": 302,
            "facilitator": 302,
            "evaluator": 302,
            "outsider": 302,  # a coordinator of another organisation
        },
    ),
    Entry("profile", any_member()),
    Entry("members", coordinator_only(outsider=200)),
    Entry("audit_log", coordinator_only(outsider=200)),
    # The organisation's safety settings: coordinators only (an outsider reaches their own).
    Entry("organisation_settings", coordinator_only(outsider=200)),
    Entry("switch_organisation", any_member(302), method="post"),
    Entry(
        "membership_update",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {"pk": w.evaluator_membership.pk},
        data=lambda w: {"role": "evaluator"},
    ),
    # Public: a bad token says the link cannot be used (410), whoever asks.
    Entry(
        "invitation_accept",
        dict.fromkeys(("anonymous", "coordinator", "facilitator", "evaluator", "outsider"), 410),
        kwargs=lambda w: {"token": "not-a-token"},
    ),
]

ENTRIES.append(
    # The language switcher works for everyone, signed in or not; it redirects back.
    Entry(
        "set_language",
        dict.fromkeys(("anonymous", "coordinator", "facilitator", "evaluator", "outsider"), 302),
        method="post",
        data=lambda w: {"language": "fr", "next": "/"},
    )
)
