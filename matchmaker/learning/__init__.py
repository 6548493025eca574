"""Learning from brokers: labels from the pipeline, a learned reranker, safe activation."""
