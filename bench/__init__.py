"""The search benchmark (scripts/bench)."""
