"""`flush`, run as the database owner role (the application role may not TRUNCATE)."""

from django.core.management.commands.flush import Command as DjangoFlush

from pcns.db import owner_connection


class Command(DjangoFlush):
    def handle(self, **options):
        with owner_connection(options["database"]):
            super().handle(**options)
