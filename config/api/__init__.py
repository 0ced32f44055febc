"""API plumbing shared by every app: authentication to tenant context, errors, pagination."""
