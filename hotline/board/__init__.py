"""The supervisor's live board, live-call monitoring and counselors' help requests."""
