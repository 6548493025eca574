"""The dashboard: pipeline counts, deals and weekly trends for admins and brokers."""
