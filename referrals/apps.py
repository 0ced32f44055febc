from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self):
        from referrals import subject_access  # noqa: F401  (registers its subject access sections)
