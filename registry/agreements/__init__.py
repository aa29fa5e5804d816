"""Agreements and operating models: lifecycle, deadlines, reminders, coverage (policy §7.4)."""
