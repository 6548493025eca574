"""Pydantic models of the API's requests and answers (the OpenAPI document comes from them)."""
