"""The FastAPI Mastery Workbook app: one package that grows chapter by chapter."""
