"""Patents: list, search, forms, bulk upload, export and "find matches now"."""
