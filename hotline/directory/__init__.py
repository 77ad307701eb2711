"""The note taxonomy and the referral directory, as administrators keep them."""
