"""The taxonomy and referral directory pages (`/admin/taxonomy`, `/admin/resources`)."""
