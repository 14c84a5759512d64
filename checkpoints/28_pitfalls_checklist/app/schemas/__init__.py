"""Pydantic models of what the API receives and answers: the shapes at the edge of the app."""
