"""The admins' Lines page (`/admin/lines`)."""
