"""People and referrals: intake, triage, allocation and the referral event log."""
