"""Data lifecycle: retention and purge, legal holds, and the subject-access export."""
