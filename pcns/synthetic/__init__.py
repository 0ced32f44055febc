"""Synthetic data at national scale, for load tests and for the metrics engine.

``manage.py generate_synthetic`` (pcns/management/commands/generate_synthetic.py) runs
``run.generate``. The modules, in the order the rows are made:

- ``options``: what to make (tenants, PCNs, people, referrals, contacts per referral, seed,
  period);
- ``places``: each tenant's organisations, teams, staff, VCSE services and postcodes, with the
  ORM (a few hundred rows);
- ``people`` and ``journeys``: people, and their referrals simulated through the state machine;
- ``care``: contacts, assessments, care plans and versions, interventions, outcome measures;
- ``partners``: VCSE onward referrals, consent and VCSE contacts;
- ``loader``: COPY as the owner role, foreign keys and indexes set aside during the load (why:
  see there);
- ``randomness``, ``ids``, ``names``: fast seeded draws, ordered ids and NHS numbers, word
  lists.

The same options and seed give the same records (ids apart). Of the append-only tables
(pcns.db.APPEND_ONLY_TABLES) only care plan versions are filled, because they hold the plans'
content; the referral and onward-referral event logs and the audit log stay empty: synthetic
records have no history of who did what, and the metrics read the records themselves. Risk
concerns, intake pauses and refusals, person merges and VCSE service areas are not generated
either.
"""
