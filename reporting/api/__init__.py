"""The metrics API: stored figures of the current snapshot, with disclosure control."""
