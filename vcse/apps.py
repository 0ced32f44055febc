from django.apps import AppConfig


class VcseConfig(AppConfig):
    name = "vcse"

    def ready(self):
        from vcse import subject_access  # noqa: F401  (registers its subject access sections)
