"""Service directory, onward referrals with consent, the VCSE inbox and contact logging."""
