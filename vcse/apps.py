from django.apps import AppConfig


class VcseConfig(AppConfig):
    name = "vcse"
    #: Records of a person, with the lookup to the person (pcns.audit: who looked at them).
    person_records = {
        "vcse.onwardreferral": "person",
        "vcse.consent": "onward_referral__person",
        "vcse.vcsecontact": "onward_referral__person",
        "vcse.onwardmessage": "onward_referral__person",
    }

    def ready(self):
        from vcse import subject_access  # noqa: F401  (registers its subject access sections)
