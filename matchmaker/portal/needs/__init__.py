"""Technical needs (技术需求): list, search, forms, export and "find matches now"."""
