"""The quality page (质量看板): benchmark figures, broker acceptance, the reranker's versions."""
