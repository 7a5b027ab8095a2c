"""Data functions: each takes the session explicitly; the use case commits."""
