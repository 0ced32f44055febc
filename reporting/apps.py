from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        from pcns.signals import records_changed

        records_changed.connect(_refresh_soon, dispatch_uid="reporting-refresh-soon")


def _refresh_soon(sender, *, tenant_id, **kwargs) -> None:
    """Queue a refresh; if the broker cannot be reached the edit still stands (it has been
    committed) and the nightly refresh catches up, so the error is logged, not raised."""
    import logging

    from reporting.services import refresh_request

    try:
        refresh_request(tenant_id)
    except Exception:
        logging.getLogger(__name__).exception("could not queue a metrics refresh")
