"""Administration: user accounts, organizations and the audit log."""
