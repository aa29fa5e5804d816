"""People with access to units: experts by experience, clearances, the waiting-period rule, decisions."""
