"""The review queue: candidate pairs for brokers, bulk actions and the pair page."""
