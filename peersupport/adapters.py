from allauth.account.adapter import DefaultAccountAdapter


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: coordinators invite people with a role."""

    def is_open_for_signup(self, request):
        return False
