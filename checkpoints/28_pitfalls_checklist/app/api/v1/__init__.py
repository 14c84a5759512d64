"""Version 1 of the API, served under settings.API_V1_PREFIX (/api/v1)."""
