"""The FastAPI Mastery Workbook app: one package that grows chapter by chapter."""

__version__ = "0.2.0"
