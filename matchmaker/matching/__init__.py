"""Matching: channels (dense, BM25), fusion, business rules, explanations, batch storage."""
