"""In-portal notifications: the list, the unread count and marking them read."""
