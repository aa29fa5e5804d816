"""Administration: users and roles, units, wellbeing services counties, the audit log."""
