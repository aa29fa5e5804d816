"""Project partnerships: applications, checks, reviews, statements and the portfolio (policy §8.2; DOMAIN §5)."""
