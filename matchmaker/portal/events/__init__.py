"""Results-release events (成果发布会): programme, invitations, booklet and follow-up pages."""
