from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    #: Records of a person, with the lookup to the person (pcns.audit: who looked at them).
    person_records = {"referrals.person": "pk", "referrals.referral": "person"}

    def ready(self):
        from referrals import subject_access  # noqa: F401  (registers its subject access sections)
