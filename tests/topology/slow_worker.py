"""A Celery worker whose evaluation runs wait ``SLOW_RUN_SECONDS`` after they start, so
the topology test can kill it in the middle of one. Same arguments as ``celery``."""

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()
    from evaluation import runs

    original = runs.compute
    delay = float(os.environ.get("SLOW_RUN_SECONDS", "60"))

    def slow_compute(run, *, progress=None):
        time.sleep(delay)
        return original(run, progress=progress)

    runs.compute = slow_compute  # the prefork children inherit it
    from celery.__main__ import main as celery_main

    sys.argv[0] = "celery"
    celery_main()


if __name__ == "__main__":
    main()
