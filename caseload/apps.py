from django.apps import AppConfig


class CaseloadConfig(AppConfig):
    name = "caseload"
    #: Records of a person, with the lookup to the person (pcns.audit: who looked at them).
    person_records = {
        "caseload.contact": "referral__person",
        "caseload.assessment": "referral__person",
        "caseload.careplan": "referral__person",
        "caseload.careplanversion": "plan__referral__person",
        "caseload.intervention": "referral__person",
        "caseload.outcomemeasure": "referral__person",
        "caseload.riskconcern": "referral__person",
    }

    def ready(self):
        from caseload import subject_access  # noqa: F401  (registers its subject access sections)
        from caseload.alerts import on_referral_received
        from caseload.selectors import open_concerns_exist
        from referrals import hooks

        # Safety alerts on referral intake, and their flag on the triage queue (referrals
        # cannot import caseload: caseload.alerts says why it is wired this way).
        hooks.referral_received.connect(on_referral_received, dispatch_uid="caseload.alerts")
        hooks.referral_corrected.connect(on_referral_received,
                                         dispatch_uid="caseload.alerts.corrected")
        hooks.queue_annotations["open_alerts"] = open_concerns_exist
