"""Partner directory: partner organisations, contact persons and mailboxes, liaison roles, search."""
