"""PostgreSQL's trigram (pg_trgm) and phonetic (fuzzystrmatch) functions, for finding a person
by a name spelled differently (referrals/search.py). Both are trusted extensions, so the
database owner role that runs migrations may create them; their functions need no grant."""

from django.contrib.postgres.operations import CreateExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0007_referral_identity_checked")]

    operations = [
        TrigramExtension(),
        CreateExtension("fuzzystrmatch"),
    ]
