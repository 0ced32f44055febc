"""Print the service address and one demo sign-in for each role."""

from django.conf import settings
from django.core.management.base import BaseCommand

from pcns.demo import demo_signins


class Command(BaseCommand):
    help = "Print the address and the demo sign-ins for each role."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, **options):
        rows = demo_signins()
        width = max(len(r["email"]) for r in rows)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"The service is running at {options['url']}"))
        self.stdout.write(f"Demo password for every account: {settings.DEMO_PASSWORD}")
        if settings.TWO_FACTOR_DEMO_SKIP:
            self.stdout.write(
                "Two-factor sign-in: these demo accounts skip the second factor here (local "
                "settings only). Any other account, and anyone who turns it on from their "
                "account page, is asked for a code from an authenticator app."
            )
        else:
            self.stdout.write(
                "Two-factor sign-in: tenant administrators and programme managers set up an "
                "authenticator app the first time they sign in."
            )
        tenant = None
        for row in rows:
            if row["tenant"] != tenant:
                tenant = row["tenant"]
                self.stdout.write(f"\n{tenant}")
            label = row["label"].replace("_", " ")
            self.stdout.write(f"  {row['email']:<{width}}  {label} ({row['name']})")
        self.stdout.write(f"\nAPI documentation: {options['url']}api/v1/docs/\n")
