from django.apps import AppConfig


class PcnsConfig(AppConfig):
    name = "pcns"
    verbose_name = "Places, organisations and staff"

    def ready(self) -> None:
        from pcns import tenancy  # noqa: F401  (connects the connection_created receiver)
