from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    #: Records of a person, with the lookup to the person (pcns.audit: who looked at them).
    person_records = {"referrals.person": "pk", "referrals.referral": "person"}
