"""The crisis-team rota: who is on call, and the supervisor on duty (docs/domain.md section 6)."""
