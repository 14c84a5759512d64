"""Data storage: in memory until chapter 12, then the database engine and sessions."""
