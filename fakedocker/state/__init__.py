"""Small state objects per Docker resource, with their lifecycles."""
