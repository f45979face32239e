"""A tenant app with one model and one pending AddField (bench only)."""
