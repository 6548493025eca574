"""Dormant-patent revival (存量专利盘活): the ranked list with every factor shown."""
