"""The admins' pages: people (`/admin/users`)."""
