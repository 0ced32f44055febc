from django.apps import AppConfig


class CaseloadConfig(AppConfig):
    name = "caseload"

    def ready(self):
        from caseload import subject_access  # noqa: F401  (registers its subject access sections)
