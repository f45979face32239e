"""A synthetic tenant app with a long migration history (bench only)."""
