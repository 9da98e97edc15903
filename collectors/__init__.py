"""Feed collection: fetch, parse, normalize and store news articles exactly once."""
