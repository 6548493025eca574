"""Recommendations for enterprises (patents for their needs) and universities (needs for patents)."""
