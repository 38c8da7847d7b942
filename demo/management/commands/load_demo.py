import time

from django.core.management.base import BaseCommand

from demo.data import load_demo


class Command(BaseCommand):
    help = (
        "Create the synthetic demo organisation, its logins and a five-year program "
        "(once; a second run changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        started = time.perf_counter()
        result = load_demo(seed=seed)
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo data created (synthetic)."))
            if result.counts:
                self.stdout.write(
                    "  {participants} participants, {attendance} attendance records, "
                    "{administrations} surveys in {seconds:.1f} s".format(
                        **result.counts, seconds=time.perf_counter() - started
                    )
                )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo logins (password for all: {result.logins[0][1]}):")
        for email, _password, role in result.logins:
            self.stdout.write(f"  {role:<12} {email}")
