"""The HTTP interface of the app: one package per API version."""
