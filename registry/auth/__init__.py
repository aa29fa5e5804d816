"""Sign-in, server-side sessions, second factor and API tokens."""
