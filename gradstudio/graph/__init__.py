"""The graph document: networkx model, node catalog, evaluation, session, files (no Qt)."""
