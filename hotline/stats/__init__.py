"""Supervisor statistics and the monthly health-commission report."""
