"""Networks and recurring meetings with iCalendar feeds (policy §6–7, §15; DOMAIN §7)."""
