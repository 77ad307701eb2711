"""Supervisors' records: the shift log, the escalation log, call review with QA and feedback."""
