"""Demo tenants: Sheffield and Leeds organisations, teams and staff for the demo loader.

Plain, deterministic data shaped after the programme reports in ``shared/seeds``:

- Sheffield follows the University of Sheffield evaluation (July 2022): four pilot PCNs live from
  June 2020, each with a small mental health team, city-wide OT / pharmacist / health coaches,
  Sheffield Mind plus six VCSE partners, and 36 staff in the clinical teams. The evaluation names
  its PCNs and VCSE partners only by pseudonym (PCN1-4, VCSE1-6), so the PCN, practice and most
  VCSE partner names below are invented; the comments say which pseudonym each one stands for.
- Leeds follows the Leeds briefing (June 2023): integrated community mental health hubs built
  around three early implementer local care partnerships (HATCH; Leeds Student Medical Practice
  and the Light; West Leeds), going live in autumn 2023.

ODS codes are real only for the ICBs, sub-ICB places and mental health trusts; practice and PCN
codes are made up in the right shape (practice: letter + 5 digits, PCN: "U" + 5 digits), and
organisations without an ODS code (or whose code we are not sure of) have "". Every person is
made up. The loader defines the demo password; ``validate()`` checks the data is consistent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

ORG_KINDS = frozenset(
    {
        "icb",
        "place",
        "lcp",
        "pcn",
        "gp_practice",
        "mh_trust",
        "local_authority",
        "vcse",
        "vcse_alliance",
        "gp_federation",
    }
)
TEAM_KINDS = frozenset({"pcn_team", "hub", "city_wide", "vcse_service"})
ROLES = frozenset(
    {
        "mhp",
        "clinical_lead",
        "psychologist",
        "psychotherapist",
        "cap",
        "trainee_cap",
        "occupational_therapist",
        "pharmacist",
        "health_coach",
        "connector",
        "peer_support",
        "vcse_worker",
        "vcse_lead",
        "gp_practice",
        "programme_manager",
        "tenant_admin",
    }
)
# Demo login label -> the role its holder must have.
DEMO_LOGINS: dict[str, str] = {
    "clinician": "mhp",
    "team_lead": "clinical_lead",
    "vcse_worker": "vcse_worker",
    "vcse_lead": "vcse_lead",
    "programme_manager": "programme_manager",
    "tenant_admin": "tenant_admin",
    "connector": "connector",
    "peer_support": "peer_support",
    "psychologist": "psychologist",
    "gp_practice": "gp_practice",
}
# The kind of organisation each kind of team must be hosted by.
TEAM_HOST_KINDS: dict[str, frozenset[str]] = {
    "pcn_team": frozenset({"pcn"}),
    "hub": frozenset({"lcp"}),
    "city_wide": frozenset({"mh_trust", "place", "gp_federation"}),
    "vcse_service": frozenset({"vcse"}),
}
SHEFFIELD_CLINICAL_STAFF = 36

# Hand-laid-out data: keep the formatter from exploding every dict onto one key per line.
# fmt: off
TENANTS: list[dict] = [
    # ------------------------------------------------------------------------------------------
    # Sheffield: four pilot PCNs, Jun 2020 - May 2022 (evaluation report, case study).
    # ------------------------------------------------------------------------------------------
    {
        "slug": "sheffield",
        "postcode_area": "S",
        "name": "Sheffield",
        # The reference period (Jun 2020 - May 2022) and everything since, on the dashboards.
        "metrics_months": 84,
        "email_domain": "sheffield.demo.test",
        "organisations": [
            {"key": "icb", "kind": "icb", "name": "NHS South Yorkshire ICB", "ods_code": "QF7",
             "parent": None},
            {"key": "place", "kind": "place", "name": "Sheffield Place", "ods_code": "03N",
             "parent": "icb"},
            # PCN1: mostly students, younger, many with neurodivergence (report pseudonym PCN1).
            # Referral dip Jan-Feb 2021 (vacancy) and a backlog entered in Mar 2022: no pause.
            {"key": "pcn1", "kind": "pcn", "name": "Millstone Campus PCN", "ods_code": "U90001",
             "parent": "place", "go_live_date": dt.date(2020, 6, 16), "intake_pauses": [],
             "population": 48_200},
            # PCN2: very ethnically diverse, many interpreter needs, asylum seekers; intake paused
            # Aug 2021 to clear a backlog and again in early 2022 while a post was recruited to.
            # The report gives no end dates: the ones below are illustrative.
            {"key": "pcn2", "kind": "pcn", "name": "Five Rivers PCN", "ods_code": "U90002",
             "parent": "place", "go_live_date": dt.date(2020, 6, 16), "population": 41_700,
             "intake_pauses": [
                 (dt.date(2021, 8, 2), dt.date(2021, 10, 29),
                  "Intake paused to clear a historic backlog (high interpreter need) while a "
                  "team member was off sick"),
                 (dt.date(2022, 1, 17), dt.date(2022, 3, 31),
                  "Intake paused while a vacant post was recruited to"),
             ]},
            # PCN3: high deprivation, most of the area in the most deprived IMD decile.
            {"key": "pcn3", "kind": "pcn", "name": "Northern Ridge PCN", "ods_code": "U90003",
             "parent": "place", "go_live_date": dt.date(2020, 6, 22), "intake_pauses": [],
             "population": 36_900},
            # PCN4: white working-class area with deprivation and unemployment.
            {"key": "pcn4", "kind": "pcn", "name": "Eastfield Valley PCN", "ods_code": "U90004",
             "parent": "place", "go_live_date": dt.date(2020, 6, 29), "intake_pauses": [],
             "population": 33_400},
            # GP practices (invented names and codes).
            {"key": "pcn1-gp1", "kind": "gp_practice", "name": "Millstone Student Health Centre",
             "ods_code": "C88901", "parent": "pcn1"},
            {"key": "pcn1-gp2", "kind": "gp_practice", "name": "Tinsmith Row Surgery",
             "ods_code": "C88902", "parent": "pcn1"},
            {"key": "pcn1-gp3", "kind": "gp_practice", "name": "Cutlers Yard Medical Practice",
             "ods_code": "C88903", "parent": "pcn1"},
            {"key": "pcn2-gp1", "kind": "gp_practice", "name": "Five Rivers Medical Centre",
             "ods_code": "C88911", "parent": "pcn2"},
            {"key": "pcn2-gp2", "kind": "gp_practice", "name": "Mosaic Street Surgery",
             "ods_code": "C88912", "parent": "pcn2"},
            {"key": "pcn2-gp3", "kind": "gp_practice", "name": "Larkspur Family Practice",
             "ods_code": "C88913", "parent": "pcn2"},
            {"key": "pcn2-gp4", "kind": "gp_practice", "name": "Harmony Road Health Centre",
             "ods_code": "C88914", "parent": "pcn2"},
            {"key": "pcn3-gp1", "kind": "gp_practice", "name": "Northern Ridge Surgery",
             "ods_code": "C88921", "parent": "pcn3"},
            {"key": "pcn3-gp2", "kind": "gp_practice", "name": "Bracken Hill Medical Centre",
             "ods_code": "C88922", "parent": "pcn3"},
            {"key": "pcn3-gp3", "kind": "gp_practice", "name": "Kestrel Way Practice",
             "ods_code": "C88923", "parent": "pcn3"},
            {"key": "pcn4-gp1", "kind": "gp_practice", "name": "Eastfield Valley Health Centre",
             "ods_code": "C88931", "parent": "pcn4"},
            {"key": "pcn4-gp2", "kind": "gp_practice", "name": "Foundry Lane Surgery",
             "ods_code": "C88932", "parent": "pcn4"},
            {"key": "pcn4-gp3", "kind": "gp_practice", "name": "Ironstone Medical Practice",
             "ods_code": "C88933", "parent": "pcn4"},
            {"key": "pcn4-gp4", "kind": "gp_practice", "name": "Quarry View Surgery",
             "ods_code": "C88934", "parent": "pcn4"},
            # Programme partners (named in the reports).
            {"key": "trust", "kind": "mh_trust",
             "name": "Sheffield Health and Social Care NHS Foundation Trust", "ods_code": "TAH",
             "parent": None},
            {"key": "pcs", "kind": "gp_federation", "name": "Primary Care Sheffield",
             "ods_code": "", "parent": None},
            {"key": "council", "kind": "local_authority", "name": "Sheffield City Council",
             "ods_code": "", "parent": None},
            # The VCSE mental health alliance Rethink Mental Illness helped build (from Aug 2022).
            {"key": "alliance", "kind": "vcse_alliance",
             "name": "Sheffield VCSE Mental Health Alliance", "ods_code": "", "parent": "place"},
            # Sheffield Mind: lead VCSE partner, employs the community connectors.
            {"key": "mind", "kind": "vcse", "name": "Sheffield Mind", "ods_code": "",
             "parent": "alliance"},
            # The six further VCSE partners (report pseudonyms VCSE1-6, not mapped one to one).
            # Named in the case study and the NHS England learnings respectively:
            {"key": "sacmha", "kind": "vcse",
             "name": "Sheffield African Caribbean Mental Health Association", "ods_code": "",
             "parent": "alliance"},
            {"key": "ageuk", "kind": "vcse", "name": "Age UK Sheffield", "ods_code": "",
             "parent": "alliance"},
            # Invented, after the support types in the VCSE activity table:
            {"key": "advice", "kind": "vcse", "name": "Cutlery Works Money Advice Project",
             "ods_code": "", "parent": "alliance"},
            {"key": "garden", "kind": "vcse", "name": "Green Shoots Community Garden Trust",
             "ods_code": "", "parent": "alliance"},
            {"key": "boxing", "kind": "vcse", "name": "Ironside Boxing and Wellbeing Club",
             "ods_code": "", "parent": "alliance"},
            {"key": "skills", "kind": "vcse", "name": "Larchwood Learning and Skills Trust",
             "ods_code": "", "parent": "alliance"},
        ],
        "teams": [
            {"key": "pcn1-team", "name": "Millstone Campus PCN Mental Health Team",
             "kind": "pcn_team", "host": "pcn1"},
            {"key": "pcn2-team", "name": "Five Rivers PCN Mental Health Team",
             "kind": "pcn_team", "host": "pcn2"},
            {"key": "pcn3-team", "name": "Northern Ridge PCN Mental Health Team",
             "kind": "pcn_team", "host": "pcn3"},
            {"key": "pcn4-team", "name": "Eastfield Valley PCN Mental Health Team",
             "kind": "pcn_team", "host": "pcn4"},
            {"key": "citywide", "name": "Sheffield City-wide Primary and Community Mental Health",
             "kind": "city_wide", "host": "trust"},
            {"key": "mind-team", "name": "Sheffield Mind Community Support",
             "kind": "vcse_service", "host": "mind"},
            {"key": "sacmha-team", "name": "SACMHA Community Wellbeing Service",
             "kind": "vcse_service", "host": "sacmha"},
            {"key": "ageuk-team", "name": "Age UK Sheffield Holistic Support",
             "kind": "vcse_service", "host": "ageuk"},
            {"key": "advice-team", "name": "Cutlery Works Debt and Welfare Advice",
             "kind": "vcse_service", "host": "advice"},
            {"key": "garden-team", "name": "Green Shoots Garden and Walk and Talk Groups",
             "kind": "vcse_service", "host": "garden"},
            {"key": "boxing-team", "name": "Ironside Exercise and Personal Development",
             "kind": "vcse_service", "host": "boxing"},
            {"key": "skills-team", "name": "Larchwood Learning, Volunteering and Employment",
             "kind": "vcse_service", "host": "skills"},
        ],
        "staff": [
            # --- Clinical teams: 36 people (evaluation Table 1: 5 MHPs, 3 clinical
            # psychologists + 2 psychotherapists, 10 trainee CAPs, 4 connectors, 3 health coaches,
            # 1 OT, 1 pharmacist, plus team leads; two extra MHPs and two peer support workers
            # stand in for the leadership posts that sit outside the teams).
            # Team leads, working across all four PCN teams.
            {"first_name": "Helen", "last_name": "Marsden",
             "email": "helen.marsden@sheffield.demo.test", "role": "clinical_lead",
             "teams": ["pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team", "citywide"],
             "employer": "trust", "honorary": True, "wte": "1.0", "demo_login": "team_lead"},
            {"first_name": "Tomasz", "last_name": "Nowak",
             "email": "tomasz.nowak@sheffield.demo.test", "role": "psychologist",
             "teams": ["pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team", "citywide"],
             "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Grace", "last_name": "Okafor",
             "email": "grace.okafor@sheffield.demo.test", "role": "connector",
             "teams": ["pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "mind", "honorary": True, "wte": "1.0"},
            # City-wide roles, also members of all four PCN teams.
            {"first_name": "Megan", "last_name": "Hollis",
             "email": "megan.hollis@sheffield.demo.test", "role": "occupational_therapist",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Imran", "last_name": "Siddiqui",
             "email": "imran.siddiqui@sheffield.demo.test", "role": "pharmacist",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "trust", "honorary": True, "wte": "0.6"},
            {"first_name": "Aisha", "last_name": "Begum",
             "email": "aisha.begum@sheffield.demo.test", "role": "health_coach",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "sacmha", "honorary": True, "wte": "1.0"},
            {"first_name": "Callum", "last_name": "Fraser",
             "email": "callum.fraser@sheffield.demo.test", "role": "health_coach",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "ageuk", "honorary": True, "wte": "0.8"},
            {"first_name": "Lucy", "last_name": "Brennan",
             "email": "lucy.brennan@sheffield.demo.test", "role": "health_coach",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "mind", "honorary": True, "wte": "1.0"},
            {"first_name": "Nadia", "last_name": "Rahman",
             "email": "nadia.rahman@sheffield.demo.test", "role": "psychologist",
             "teams": ["citywide", "pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"],
             "employer": "trust", "honorary": True, "wte": "0.6"},
            # PCN1 team.
            {"first_name": "Daniel", "last_name": "Whitaker",
             "email": "daniel.whitaker@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn1-team"], "employer": "trust", "honorary": True, "wte": "1.0",
             "demo_login": "clinician"},
            {"first_name": "Sophie", "last_name": "Lindgren",
             "email": "sophie.lindgren@sheffield.demo.test", "role": "psychologist",
             "teams": ["pcn1-team"], "employer": "trust", "honorary": True, "wte": "0.8",
             "demo_login": "psychologist"},
            {"first_name": "Ellie", "last_name": "Shaw",
             "email": "ellie.shaw@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn1-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Jack", "last_name": "Pearson",
             "email": "jack.pearson@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn1-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Maya", "last_name": "Thompson",
             "email": "maya.thompson@sheffield.demo.test", "role": "connector",
             "teams": ["pcn1-team"], "employer": "mind", "honorary": True, "wte": "1.0",
             "demo_login": "connector"},
            # PCN2 team.
            {"first_name": "Farah", "last_name": "Hussain",
             "email": "farah.hussain@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn2-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Peter", "last_name": "Kovac",
             "email": "peter.kovac@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn2-team"], "employer": "pcs", "honorary": True, "wte": "0.8"},
            {"first_name": "Yusuf", "last_name": "Karim",
             "email": "yusuf.karim@sheffield.demo.test", "role": "psychotherapist",
             "teams": ["pcn2-team"], "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Hannah", "last_name": "Mills",
             "email": "hannah.mills@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn2-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Zainab", "last_name": "Noor",
             "email": "zainab.noor@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn2-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Owen", "last_name": "Price",
             "email": "owen.price@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn2-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Abdi", "last_name": "Warsame",
             "email": "abdi.warsame@sheffield.demo.test", "role": "connector",
             "teams": ["pcn2-team"], "employer": "sacmha", "honorary": True, "wte": "1.0"},
            {"first_name": "Marcus", "last_name": "Campbell",
             "email": "marcus.campbell@sheffield.demo.test", "role": "peer_support",
             "teams": ["pcn2-team"], "employer": "mind", "honorary": True, "wte": "0.6",
             "demo_login": "peer_support"},
            # PCN3 team (one MHP employed by the PCN itself under ARRS).
            {"first_name": "Karen", "last_name": "Lowe",
             "email": "karen.lowe@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn3-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Liam", "last_name": "Doherty",
             "email": "liam.doherty@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn3-team"], "employer": "pcn3", "honorary": False, "wte": "1.0"},
            {"first_name": "Priya", "last_name": "Chauhan",
             "email": "priya.chauhan@sheffield.demo.test", "role": "psychologist",
             "teams": ["pcn3-team"], "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Amy", "last_name": "Wragg",
             "email": "amy.wragg@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn3-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Ben", "last_name": "Hartley",
             "email": "ben.hartley@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn3-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Jodie", "last_name": "Walsh",
             "email": "jodie.walsh@sheffield.demo.test", "role": "connector",
             "teams": ["pcn3-team"], "employer": "mind", "honorary": True, "wte": "1.0"},
            # PCN4 team.
            {"first_name": "Stuart", "last_name": "Kenyon",
             "email": "stuart.kenyon@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn4-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Chloe", "last_name": "Barker",
             "email": "chloe.barker@sheffield.demo.test", "role": "mhp",
             "teams": ["pcn4-team"], "employer": "pcs", "honorary": True, "wte": "0.6"},
            {"first_name": "Martin", "last_name": "Oyelaran",
             "email": "martin.oyelaran@sheffield.demo.test", "role": "psychotherapist",
             "teams": ["pcn4-team"], "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Rosie", "last_name": "Tang",
             "email": "rosie.tang@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn4-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Kieran", "last_name": "Booth",
             "email": "kieran.booth@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn4-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Jasmine", "last_name": "Clarke",
             "email": "jasmine.clarke@sheffield.demo.test", "role": "trainee_cap",
             "teams": ["pcn4-team"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Tariq", "last_name": "Mahmood",
             "email": "tariq.mahmood@sheffield.demo.test", "role": "connector",
             "teams": ["pcn4-team"], "employer": "ageuk", "honorary": True, "wte": "1.0"},
            {"first_name": "Debbie", "last_name": "Staniforth",
             "email": "debbie.staniforth@sheffield.demo.test", "role": "peer_support",
             "teams": ["pcn4-team"], "employer": "mind", "honorary": True, "wte": "0.6"},
            # --- VCSE service teams, staffed by their own organisation.
            {"first_name": "Joanne", "last_name": "Fletcher",
             "email": "joanne.fletcher@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["mind-team"], "employer": "mind", "honorary": False, "wte": "1.0",
             "demo_login": "vcse_lead"},
            {"first_name": "Samir", "last_name": "Haddad",
             "email": "samir.haddad@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["mind-team"], "employer": "mind", "honorary": False, "wte": "1.0",
             "demo_login": "vcse_worker"},
            {"first_name": "Bethany", "last_name": "Cole",
             "email": "bethany.cole@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["mind-team"], "employer": "mind", "honorary": False, "wte": "0.6"},
            {"first_name": "Beverley", "last_name": "Grant",
             "email": "beverley.grant@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["sacmha-team"], "employer": "sacmha", "honorary": False, "wte": "0.4"},
            {"first_name": "Desmond", "last_name": "Reid",
             "email": "desmond.reid@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["sacmha-team"], "employer": "sacmha", "honorary": False, "wte": "0.8"},
            {"first_name": "Margaret", "last_name": "Ibbotson",
             "email": "margaret.ibbotson@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["ageuk-team"], "employer": "ageuk", "honorary": False, "wte": "0.4"},
            {"first_name": "Neil", "last_name": "Sorby",
             "email": "neil.sorby@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["ageuk-team"], "employer": "ageuk", "honorary": False, "wte": "0.4"},
            {"first_name": "Gareth", "last_name": "Pryce",
             "email": "gareth.pryce@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["advice-team"], "employer": "advice", "honorary": False, "wte": None},
            {"first_name": "Leanne", "last_name": "Hobson",
             "email": "leanne.hobson@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["advice-team"], "employer": "advice", "honorary": False, "wte": "0.4"},
            {"first_name": "Ruth", "last_name": "Ellery",
             "email": "ruth.ellery@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["garden-team"], "employer": "garden", "honorary": False, "wte": "0.6"},
            {"first_name": "Tom", "last_name": "Birkett",
             "email": "tom.birkett@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["garden-team"], "employer": "garden", "honorary": False, "wte": "0.8"},
            {"first_name": "Anika", "last_name": "Patel",
             "email": "anika.patel@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["garden-team"], "employer": "garden", "honorary": False, "wte": "0.8"},
            {"first_name": "Lee", "last_name": "Marriott",
             "email": "lee.marriott@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["boxing-team"], "employer": "boxing", "honorary": False, "wte": "0.6"},
            {"first_name": "Kelly", "last_name": "Dunn",
             "email": "kelly.dunn@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["boxing-team"], "employer": "boxing", "honorary": False, "wte": "1.0"},
            {"first_name": "Susan", "last_name": "Webster",
             "email": "susan.webster@sheffield.demo.test", "role": "vcse_lead",
             "teams": ["skills-team"], "employer": "skills", "honorary": False, "wte": "0.5"},
            {"first_name": "Ravi", "last_name": "Mistry",
             "email": "ravi.mistry@sheffield.demo.test", "role": "vcse_worker",
             "teams": ["skills-team"], "employer": "skills", "honorary": False, "wte": "1.0"},
            # --- Programme, administration and general practice (no team).
            {"first_name": "Alison", "last_name": "Drury",
             "email": "alison.drury@sheffield.demo.test", "role": "programme_manager",
             "teams": [], "employer": "icb", "honorary": False, "wte": "1.0",
             "demo_login": "programme_manager"},
            {"first_name": "Mark", "last_name": "Ridley",
             "email": "mark.ridley@sheffield.demo.test", "role": "tenant_admin",
             "teams": [], "employer": "place", "honorary": False, "wte": "0.5",
             "demo_login": "tenant_admin"},
            {"first_name": "Claire", "last_name": "Hobbs",
             "email": "claire.hobbs@sheffield.demo.test", "role": "gp_practice",
             "teams": [], "employer": "pcn2-gp1", "honorary": False, "wte": None,
             "practice": "pcn2-gp1", "demo_login": "gp_practice"},
            {"first_name": "Simon", "last_name": "Oakes",
             "email": "simon.oakes@sheffield.demo.test", "role": "gp_practice",
             "teams": [], "employer": "pcn4-gp2", "honorary": False, "wte": None,
             "practice": "pcn4-gp2"},
        ],
    },
    # ------------------------------------------------------------------------------------------
    # Leeds: integrated hubs in three early implementer LCPs, go-live autumn 2023 (briefing).
    # ------------------------------------------------------------------------------------------
    {
        "slug": "leeds",
        "postcode_area": "LS",
        "name": "Leeds",
        "email_domain": "leeds.demo.test",
        "organisations": [
            {"key": "icb", "kind": "icb", "name": "NHS West Yorkshire ICB", "ods_code": "QWO",
             "parent": None},
            {"key": "place", "kind": "place", "name": "Leeds Place", "ods_code": "15F",
             "parent": "icb"},
            # Early implementer local care partnerships (named in the briefing).
            {"key": "lcp-hatch", "kind": "lcp", "name": "HATCH Local Care Partnership",
             "ods_code": "", "parent": "place"},
            {"key": "lcp-lsmp", "kind": "lcp",
             "name": "Leeds Student Medical Practice and the Light Local Care Partnership",
             "ods_code": "", "parent": "place"},
            {"key": "lcp-west", "kind": "lcp", "name": "West Leeds Local Care Partnership",
             "ods_code": "", "parent": "place"},
            # PCNs: the first three are named in the briefing; the other three are invented.
            {"key": "pcn-chapeltown", "kind": "pcn", "name": "Chapeltown PCN",
             "ods_code": "U91001", "parent": "lcp-hatch", "go_live_date": dt.date(2023, 10, 2),
             "intake_pauses": [],
             "population": 38_600},
            {"key": "pcn-bhrh", "kind": "pcn",
             "name": "Burmantofts, Harehills and Richmond Hill PCN", "ods_code": "U91002",
             "parent": "lcp-hatch", "go_live_date": dt.date(2023, 10, 2), "intake_pauses": [],
             "population": 45_100},
            {"key": "pcn-lsmp", "kind": "pcn",
             "name": "Leeds Student Medical Practice and the Light PCN", "ods_code": "U91003",
             "parent": "lcp-lsmp", "go_live_date": dt.date(2023, 10, 16), "intake_pauses": [],
             "population": 57_300},
            {"key": "pcn-headrow", "kind": "pcn", "name": "Headrow Gate PCN",
             "ods_code": "U91004", "parent": "lcp-lsmp", "go_live_date": dt.date(2023, 10, 16),
             "intake_pauses": [],
             "population": 31_800},
            {"key": "pcn-airebank", "kind": "pcn", "name": "Aire Bank PCN",
             "ods_code": "U91005", "parent": "lcp-west", "go_live_date": dt.date(2023, 11, 6),
             "intake_pauses": [],
             "population": 42_500},
            {"key": "pcn-weavers", "kind": "pcn", "name": "Weavers Row PCN",
             "ods_code": "U91006", "parent": "lcp-west", "go_live_date": dt.date(2023, 11, 6),
             "intake_pauses": [],
             "population": 35_200},
            # GP practices (invented, except Leeds Student Medical Practice, which gives its PCN
            # its name; its code here is made up).
            {"key": "chapeltown-gp1", "kind": "gp_practice", "name": "Hawthorn Avenue Surgery",
             "ods_code": "B86901", "parent": "pcn-chapeltown"},
            {"key": "chapeltown-gp2", "kind": "gp_practice", "name": "Carnival Green Practice",
             "ods_code": "B86902", "parent": "pcn-chapeltown"},
            {"key": "bhrh-gp1", "kind": "gp_practice", "name": "Bramble Street Health Centre",
             "ods_code": "B86911", "parent": "pcn-bhrh"},
            {"key": "bhrh-gp2", "kind": "gp_practice", "name": "Ashgrove Terrace Surgery",
             "ods_code": "B86912", "parent": "pcn-bhrh"},
            {"key": "lsmp-gp1", "kind": "gp_practice", "name": "Leeds Student Medical Practice",
             "ods_code": "B86921", "parent": "pcn-lsmp"},
            {"key": "lsmp-gp2", "kind": "gp_practice", "name": "Civic Quarter Surgery",
             "ods_code": "B86922", "parent": "pcn-lsmp"},
            {"key": "headrow-gp1", "kind": "gp_practice", "name": "Headrow Gate Surgery",
             "ods_code": "B86931", "parent": "pcn-headrow"},
            {"key": "headrow-gp2", "kind": "gp_practice", "name": "Millpond Yard Medical Centre",
             "ods_code": "B86932", "parent": "pcn-headrow"},
            {"key": "airebank-gp1", "kind": "gp_practice", "name": "Aire Bank Surgery",
             "ods_code": "B86941", "parent": "pcn-airebank"},
            {"key": "airebank-gp2", "kind": "gp_practice", "name": "Lockside Medical Practice",
             "ods_code": "B86942", "parent": "pcn-airebank"},
            {"key": "weavers-gp1", "kind": "gp_practice", "name": "Weavers Row Health Centre",
             "ods_code": "B86951", "parent": "pcn-weavers"},
            {"key": "weavers-gp2", "kind": "gp_practice", "name": "Spinning Mill Surgery",
             "ods_code": "B86952", "parent": "pcn-weavers"},
            # Providers and partners.
            {"key": "trust", "kind": "mh_trust",
             "name": "Leeds and York Partnership NHS Foundation Trust", "ods_code": "RGD",
             "parent": None},
            {"key": "gpfed", "kind": "gp_federation", "name": "Kirkgate GP Federation",
             "ods_code": "", "parent": None},
            {"key": "council", "kind": "local_authority", "name": "Leeds City Council",
             "ods_code": "", "parent": None},
            # Forum Central: the third sector umbrella that hosts the VCSE involvement lead.
            {"key": "forum-central", "kind": "vcse_alliance", "name": "Forum Central",
             "ods_code": "", "parent": "place"},
            {"key": "leeds-mind", "kind": "vcse", "name": "Leeds Mind", "ods_code": "",
             "parent": "forum-central"},
            {"key": "lip", "kind": "vcse", "name": "Leeds Involving People", "ods_code": "",
             "parent": "forum-central"},
            # Invented host of community wellbeing connectors.
            {"key": "harebell", "kind": "vcse", "name": "Harebell Community Connect",
             "ods_code": "", "parent": "forum-central"},
        ],
        "teams": [
            {"key": "hub-hatch", "name": "HATCH Integrated Community Mental Health Hub",
             "kind": "hub", "host": "lcp-hatch"},
            {"key": "hub-lsmp",
             "name": "Leeds Student Medical Practice and the Light Community Mental Health Hub",
             "kind": "hub", "host": "lcp-lsmp"},
            {"key": "hub-west", "name": "West Leeds Integrated Community Mental Health Hub",
             "kind": "hub", "host": "lcp-west"},
            {"key": "leeds-mind-team", "name": "Leeds Mind Recovery and Employment Support",
             "kind": "vcse_service", "host": "leeds-mind"},
            {"key": "lip-team", "name": "Leeds Involving People Peer Involvement",
             "kind": "vcse_service", "host": "lip"},
            {"key": "harebell-team", "name": "Harebell Community Wellbeing Connectors",
             "kind": "vcse_service", "host": "harebell"},
        ],
        "staff": [
            # Hub clinical lead, across all three hubs.
            {"first_name": "Joanna", "last_name": "Lister",
             "email": "joanna.lister@leeds.demo.test", "role": "clinical_lead",
             "teams": ["hub-hatch", "hub-lsmp", "hub-west"], "employer": "trust",
             "honorary": True, "wte": "1.0", "demo_login": "team_lead"},
            # HATCH hub.
            {"first_name": "Kwame", "last_name": "Mensah",
             "email": "kwame.mensah@leeds.demo.test", "role": "mhp",
             "teams": ["hub-hatch"], "employer": "trust", "honorary": True, "wte": "1.0",
             "demo_login": "clinician"},
            {"first_name": "Elena", "last_name": "Rossi",
             "email": "elena.rossi@leeds.demo.test", "role": "psychologist",
             "teams": ["hub-hatch"], "employer": "trust", "honorary": True, "wte": "0.8",
             "demo_login": "psychologist"},
            {"first_name": "Shabana", "last_name": "Iqbal",
             "email": "shabana.iqbal@leeds.demo.test", "role": "connector",
             "teams": ["hub-hatch"], "employer": "harebell", "honorary": True, "wte": "1.0",
             "demo_login": "connector"},
            {"first_name": "Dean", "last_name": "Halliday",
             "email": "dean.halliday@leeds.demo.test", "role": "peer_support",
             "teams": ["hub-hatch"], "employer": "leeds-mind", "honorary": True, "wte": "0.6",
             "demo_login": "peer_support"},
            # Leeds Student Medical Practice and the Light hub.
            {"first_name": "Georgia", "last_name": "Finch",
             "email": "georgia.finch@leeds.demo.test", "role": "mhp",
             "teams": ["hub-lsmp"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Oliver", "last_name": "Newsome",
             "email": "oliver.newsome@leeds.demo.test", "role": "psychotherapist",
             "teams": ["hub-lsmp"], "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Hamza", "last_name": "Qureshi",
             "email": "hamza.qureshi@leeds.demo.test", "role": "pharmacist",
             "teams": ["hub-lsmp"], "employer": "trust", "honorary": True, "wte": "0.4"},
            {"first_name": "Freya", "last_name": "Dawson",
             "email": "freya.dawson@leeds.demo.test", "role": "connector",
             "teams": ["hub-lsmp"], "employer": "harebell", "honorary": True, "wte": "1.0"},
            # West Leeds hub.
            {"first_name": "Paul", "last_name": "Greenwood",
             "email": "paul.greenwood@leeds.demo.test", "role": "mhp",
             "teams": ["hub-west"], "employer": "trust", "honorary": True, "wte": "1.0"},
            {"first_name": "Natalie", "last_name": "Cross",
             "email": "natalie.cross@leeds.demo.test", "role": "occupational_therapist",
             "teams": ["hub-west"], "employer": "trust", "honorary": True, "wte": "0.8"},
            {"first_name": "Ryan", "last_name": "Stead",
             "email": "ryan.stead@leeds.demo.test", "role": "peer_support",
             "teams": ["hub-west"], "employer": "leeds-mind", "honorary": True, "wte": "0.6"},
            {"first_name": "Chantelle", "last_name": "Moore",
             "email": "chantelle.moore@leeds.demo.test", "role": "health_coach",
             "teams": ["hub-west"], "employer": "gpfed", "honorary": True, "wte": None},
            # VCSE service teams.
            {"first_name": "Rebecca", "last_name": "Hirst",
             "email": "rebecca.hirst@leeds.demo.test", "role": "vcse_lead",
             "teams": ["leeds-mind-team"], "employer": "leeds-mind", "honorary": False,
             "wte": "1.0", "demo_login": "vcse_lead"},
            {"first_name": "Adam", "last_name": "Kowalczyk",
             "email": "adam.kowalczyk@leeds.demo.test", "role": "vcse_worker",
             "teams": ["leeds-mind-team"], "employer": "leeds-mind", "honorary": False,
             "wte": "1.0", "demo_login": "vcse_worker"},
            {"first_name": "Sandra", "last_name": "Oduya",
             "email": "sandra.oduya@leeds.demo.test", "role": "vcse_lead",
             "teams": ["lip-team"], "employer": "lip", "honorary": False, "wte": "0.6"},
            {"first_name": "Luke", "last_name": "Pennington",
             "email": "luke.pennington@leeds.demo.test", "role": "vcse_worker",
             "teams": ["lip-team"], "employer": "lip", "honorary": False, "wte": "0.8"},
            {"first_name": "Nasreen", "last_name": "Akram",
             "email": "nasreen.akram@leeds.demo.test", "role": "vcse_lead",
             "teams": ["harebell-team"], "employer": "harebell", "honorary": False,
             "wte": "1.0"},
            {"first_name": "Holly", "last_name": "Barraclough",
             "email": "holly.barraclough@leeds.demo.test", "role": "vcse_worker",
             "teams": ["harebell-team"], "employer": "harebell", "honorary": False,
             "wte": "0.8"},
            # Programme, administration and general practice.
            {"first_name": "Catherine", "last_name": "Swales",
             "email": "catherine.swales@leeds.demo.test", "role": "programme_manager",
             "teams": [], "employer": "icb", "honorary": False, "wte": "1.0",
             "demo_login": "programme_manager"},
            {"first_name": "Gavin", "last_name": "Thorpe",
             "email": "gavin.thorpe@leeds.demo.test", "role": "tenant_admin",
             "teams": [], "employer": "place", "honorary": False, "wte": "0.5",
             "demo_login": "tenant_admin"},
            {"first_name": "Mandy", "last_name": "Kitching",
             "email": "mandy.kitching@leeds.demo.test", "role": "gp_practice",
             "teams": [], "employer": "chapeltown-gp1", "honorary": False, "wte": None,
             "practice": "chapeltown-gp1", "demo_login": "gp_practice"},
        ],
    },
]
# fmt: on


def _check_tenant(tenant: dict, seen_emails: set[str]) -> None:
    slug = tenant["slug"]
    orgs = {org["key"]: org for org in tenant["organisations"]}
    teams = {team["key"]: team for team in tenant["teams"]}
    assert len(orgs) == len(tenant["organisations"]), f"{slug}: duplicate organisation key"
    assert len(teams) == len(tenant["teams"]), f"{slug}: duplicate team key"
    assert not orgs.keys() & teams.keys(), f"{slug}: a key names both an org and a team"
    codes = [org["ods_code"] for org in orgs.values() if org["ods_code"]]
    assert len(set(codes)) == len(codes), f"{slug}: duplicate ODS code"

    for org in orgs.values():
        where = f"{slug}/{org['key']}"
        assert org["kind"] in ORG_KINDS, f"{where}: unknown kind {org['kind']!r}"
        assert org["parent"] is None or org["parent"] in orgs, f"{where}: unknown parent"
        code = org["ods_code"]
        assert code == "" or re.fullmatch(r"[A-Z0-9]{3,10}", code), f"{where}: bad ODS code"
        if org["kind"] == "gp_practice":
            assert orgs[org["parent"]]["kind"] == "pcn", f"{where}: practice parent not a PCN"
        if org["kind"] == "pcn":
            assert isinstance(org["go_live_date"], dt.date), f"{where}: no go-live date"
            for start, end, reason in org["intake_pauses"]:
                assert start >= org["go_live_date"], f"{where}: pause before go-live"
                assert end is None or end >= start, f"{where}: pause ends before it starts"
                assert reason, f"{where}: pause without a reason"

    for team in teams.values():
        where = f"{slug}/{team['key']}"
        assert team["kind"] in TEAM_KINDS, f"{where}: unknown kind {team['kind']!r}"
        assert team["host"] in orgs, f"{where}: unknown host"
        host_kind = orgs[team["host"]]["kind"]
        assert host_kind in TEAM_HOST_KINDS[team["kind"]], f"{where}: host kind {host_kind}"

    logins: Counter[str] = Counter()
    for person in tenant["staff"]:
        email = person["email"]
        where = f"{slug}/{email}"
        assert email.isascii() and email == email.lower(), f"{where}: email not lowercase ascii"
        assert email.endswith("@" + tenant["email_domain"]), f"{where}: wrong email domain"
        assert email not in seen_emails, f"{where}: duplicate email"
        seen_emails.add(email)
        assert person["role"] in ROLES, f"{where}: unknown role {person['role']!r}"
        assert person["employer"] in orgs, f"{where}: unknown employer"
        assert all(key in teams for key in person["teams"]), f"{where}: unknown team"
        assert len(set(person["teams"])) == len(person["teams"]), f"{where}: team repeated"
        hosts = {teams[key]["host"] for key in person["teams"]}
        honorary = any(host != person["employer"] for host in hosts)
        assert person["honorary"] is honorary, f"{where}: honorary should be {honorary}"
        wte = person["wte"]
        assert wte is None or 0 < float(wte) <= 1, f"{where}: bad wte {wte!r}"
        if person["role"] == "gp_practice":
            practice = orgs.get(person.get("practice", ""))
            assert practice and practice["kind"] == "gp_practice", f"{where}: bad practice"
        else:
            assert "practice" not in person, f"{where}: practice only for gp_practice"
        label = person.get("demo_login")
        if label is not None:
            assert DEMO_LOGINS.get(label) == person["role"], f"{where}: bad demo_login"
            logins[label] += 1
    assert logins == Counter(DEMO_LOGINS.keys()), f"{slug}: demo logins {dict(logins)}"


def validate() -> None:
    """Assert the demo data is internally consistent (run by the loader and its tests)."""
    slugs = [tenant["slug"] for tenant in TENANTS]
    assert len(set(slugs)) == len(slugs), "duplicate tenant slug"
    seen_emails: set[str] = set()
    for tenant in TENANTS:
        _check_tenant(tenant, seen_emails)

    sheffield = next(tenant for tenant in TENANTS if tenant["slug"] == "sheffield")
    kinds = {team["key"]: team["kind"] for team in sheffield["teams"]}
    clinical = [
        person
        for person in sheffield["staff"]
        if any(kinds[key] in {"pcn_team", "city_wide"} for key in person["teams"])
    ]
    assert len(clinical) == SHEFFIELD_CLINICAL_STAFF, f"sheffield clinical staff {len(clinical)}"
