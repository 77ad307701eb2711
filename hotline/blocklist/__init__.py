"""Abusive callers: blocked by the keyed hash of their number, for 24 hours or for good."""
