"""The route modules of version 2: only those whose contract differs from version 1."""
