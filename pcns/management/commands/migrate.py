"""`migrate`, run as the database owner role, then granting the application role its rights."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from pcns.db import application_role, grant_application_role, owner_connection


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        database = options["database"]
        app_role = application_role(database)
        with owner_connection(database):
            super().handle(*args, **options)
            grant_application_role(app_role, database)
