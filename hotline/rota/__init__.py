"""The crisis-team rota: who is on call, and the supervisor on duty (DESIGN.md section 6)."""
