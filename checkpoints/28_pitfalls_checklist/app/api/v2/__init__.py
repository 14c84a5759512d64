"""API version 2: the routes whose contract changed since version 1, and version 1's others."""
