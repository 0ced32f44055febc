"""Word lists and short texts for synthetic records.

Every person, place and organisation here is made up. Texts are plain ASCII with no tabs,
backslashes or double quotes, so they can go into COPY text rows and array literals unescaped.
"""

from __future__ import annotations

FEMALE_GIVEN = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Freya", "Emily",
    "Ella", "Chloe", "Poppy", "Evie", "Ruby", "Sophie", "Jessica", "Holly", "Megan", "Hannah",
    "Charlotte", "Lucy", "Amy", "Laura", "Rebecca", "Sarah", "Emma", "Rachel", "Claire", "Gemma",
    "Nicola", "Joanne", "Helen", "Karen", "Susan", "Julie", "Angela", "Tracey", "Donna", "Kelly",
    "Margaret", "Patricia", "Linda", "Carol", "Janet", "Maureen", "Christine", "Pauline", "Jean",
    "Ayesha", "Fatima", "Aisha", "Zainab", "Maryam", "Amina", "Priya", "Anjali", "Simran",
    "Nadia", "Yasmin", "Chantelle", "Abena", "Adaeze", "Blessing", "Agnieszka",
    "Katarzyna", "Ioana", "Mei", "Siobhan", "Niamh", "Aoife", "Bethan", "Cerys", "Rhiannon",
)
MALE_GIVEN = (
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie", "Jacob",
    "Thomas", "James", "William", "Joshua", "Daniel", "Samuel", "Joseph", "Ryan", "Liam", "Adam",
    "Matthew", "Luke", "Callum", "Connor", "Lewis", "Jamie", "Dean", "Craig", "Lee", "Wayne",
    "Paul", "Mark", "David", "Andrew", "Steven", "Richard", "Gary", "Ian", "Kevin", "Neil",
    "John", "Michael", "Robert", "Peter", "Brian", "Keith", "Colin", "Derek", "Alan", "Graham",
    "Mohammed", "Ahmed", "Ali", "Hassan", "Imran", "Bilal", "Arjun", "Rohan", "Sanjay", "Amir",
    "Tariq", "Kwame", "Chinedu", "Tunde", "Dwayne", "Marcus", "Piotr", "Tomasz", "Andrei",
    "Wei", "Ciaran", "Sean", "Rhys", "Dylan", "Gareth",
)
NEUTRAL_GIVEN = ("Alex", "Sam", "Charlie", "Jordan", "Robin", "Jesse", "Riley", "Morgan",
                 "Taylor", "Jamie")
FAMILY = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Hussain", "Ahmed", "Ali", "Begum", "Shah", "Singh",
    "Kaur", "Sharma", "Mahmood", "Iqbal", "Akhtar", "Rahman", "Miah", "Okafor", "Mensah",
    "Adeyemi", "Boateng", "Campbell", "Francis", "Grant", "Kowalski", "Nowak", "Popescu",
    "Chen", "Wang", "Murphy", "Kelly", "OBrien", "Byrne", "Ryan", "Martin", "Thomas", "Lewis",
    "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Harris",
    "Baker", "Allen", "Young", "Mitchell", "Lee", "Scott", "Harrison", "Marshall", "Parker",
    "Bennett", "Shaw", "Cook", "Richardson", "Bailey", "Collins", "Knight", "Mason", "Webb",
    "Holmes", "Barker", "Fletcher", "Palmer", "Lloyd", "Dixon", "Hunt", "Price", "Bell", "Ellis",
    "Stevens", "Gray", "Spencer", "Butler", "Chapman", "Watson", "Pearson", "Atkinson", "Hudson",
)
LANGUAGES = ("Urdu", "Polish", "Arabic", "Punjabi", "Romanian", "Bengali", "Somali", "Kurdish",
             "Portuguese", "Tigrinya", "Farsi", "Mandarin")
STREETS = ("Church", "Station", "Victoria", "Park", "Mill", "School", "High", "Albert", "Queen",
           "King", "New", "Green", "Chapel", "North", "South", "Manor", "Spring", "Grove",
           "Windsor", "Beech")
STREET_KINDS = ("Street", "Road", "Lane", "Avenue", "Close", "Terrace", "Way")

#: Parts of made-up area names ("Ashbrook", "Kirkwood"): PCNs, VCSE organisations, addresses.
AREA_STARTS = ("Ash", "Brook", "Kirk", "Thorn", "Elm", "Oak", "Wyn", "Hale", "Mar", "Cal",
               "Bram", "Fern", "Hollin", "Long", "Red", "Stan", "Wood", "Bir", "Cole", "Dun",
               "East", "West", "Fair", "Green", "High", "Lin", "Nor", "Rams", "Shaw", "Wil")
AREA_ENDS = ("brook", "wood", "ton", "field", "ley", "by", "thorpe", "worth", "ham", "ford",
             "dale", "bridge", "gate", "moor", "well", "side", "stead", "croft", "hill", "holme")

VCSE_KINDS = ("Mind", "Community Trust", "Wellbeing Hub", "Citizens Advice", "Carers Centre",
              "Recovery College", "Men's Shed", "Community Garden", "Refugee Welcome",
              "Food Network")
#: (service name, support categories) for VCSE services.
SERVICES = (
    ("Money and debt advice", ("debt_advice", "welfare_benefits")),
    ("Benefits and welfare clinic", ("welfare_benefits",)),
    ("Peer support groups", ("peer_support", "social_groups")),
    ("Walk and talk", ("walk_and_talk", "physical_health")),
    ("Community garden sessions", ("community_garden", "volunteering")),
    ("Housing support", ("housing", "holistic_needs")),
    ("Carers support", ("caring",)),
    ("Back to work coaching", ("employment", "personal_development")),
    ("Warm homes advice", ("fuel_poverty", "debt_advice")),
    ("Social prescribing link", ("holistic_needs", "social_groups", "other")),
)

REFERRAL_REASONS = (
    "{need} for several months, affecting work and home life. GP asks for assessment.",
    "{need}. Struggling to cope day to day; has tried self-help without much change.",
    "{need}, worse since a recent life event. Would like support to get back on track.",
    "{need}. Previously known to services; asking for help again.",
)
REJECTION_NOTES = {
    "not_eligible": "Needs are better met elsewhere; advice given to the referrer.",
    "not_registered": "Not registered with a practice the team covers.",
    "insufficient_information": "Not enough information to triage; referrer asked for more.",
    "declined": "The person did not want the referral when contacted.",
    "duplicate": "Duplicate of a referral already being triaged.",
    "other": "Not accepted after discussion with the referrer.",
}
REDIRECT_NOTES = {
    "talking_therapies": "Suitable for NHS Talking Therapies; warm handover made.",
    "secondary_care": "Needs secondary care; referred to the community mental health team.",
    "crisis": "Urgent risk; handed over to the crisis team the same day.",
    "vcse": "Needs are social rather than clinical; linked with a VCSE partner.",
    "other": "Redirected to another service after discussion.",
}
MDT_NOTES = ("Complex needs: discuss at the weekly MDT.", "Unclear which service fits best.",
             "Several previous referrals: MDT to agree the plan.")
DISCHARGE_NOTES = {
    "goals_met": "Goals met; knows how to get back in touch.",
    "no_contact": "No contact after three attempts; letter sent to the person and GP.",
    "moved_away": "Moved out of the area; records passed on.",
    "stepped_up": "Stepped up to secondary care.",
    "stepped_down": "Stepped down to primary care.",
    "declined": "Declined further support.",
    "died": "",
    "other": "Discharged after review.",
}
STEP_DESTINATIONS = {
    "stepped_up": ("Community mental health team (secondary care)", "Early intervention team"),
    "stepped_down": ("NHS Talking Therapies", "GP practice", "Social prescribing"),
}
ASSESSMENT_SUMMARIES = (
    "Assessment completed; the person's goals and strengths were discussed and agreed.",
    "Seen for assessment; a plan for the next few weeks was agreed with them.",
    "Full assessment of mental health, social circumstances and physical health.",
)
RISK_SUMMARIES = (
    "No current risk to self or others identified.",
    "Passive thoughts of not wanting to be here; no plans. Safety plan agreed.",
    "History of self-harm, none recently. Knows how to reach crisis support.",
    "",
)
CARE_GOALS = (
    "Sleep better at night", "Get out of the house twice a week", "Manage anxiety at work",
    "Reconnect with friends", "Sort out benefits and debts", "Join a local group",
    "Feel less low most days", "Return to work or study", "Look after my physical health",
    "Understand my medication", "Cope with difficult memories", "Reduce drinking",
)
REVIEW_TRIGGERS = (
    "A change in mood lasting more than two weeks, or any new risk.",
    "When the person asks, or after the group course ends.",
    "If things get worse at home or work.",
)
SAFETY_PLANS = (
    "Warning signs: not sleeping, staying in. Helps: walking, calling a friend. "
    "Crisis: NHS 111 option 2.",
    "Warning signs: withdrawing from family. Helps: music, time with the dog. "
    "Crisis: Samaritans 116 123, NHS 111 option 2.",
)
INTERVENTION_DESCRIPTIONS = {
    "psychological_therapy": "Six sessions of focused psychological therapy.",
    "psychosocial": "Structured psychosocial support around routine and activity.",
    "medication_physical_health": "Medication review and physical health check.",
    "peer_support": "Weekly peer support sessions.",
    "community_connection": "Linked with local groups and activities.",
    "group": "Group course on managing anxiety.",
    "advice_signposting": "Advice and signposting to local services.",
}
ONWARD_REASONS = (
    "Would like practical help alongside their care with us.",
    "Asked for support to get out more and meet people.",
    "Money worries are making their mental health worse.",
)
CONSENT_PURPOSES = ("To contact them and offer support.",
                    "To arrange support with the service they chose.")
