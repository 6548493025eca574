"""Portal pages for API tokens and organization webhooks."""
