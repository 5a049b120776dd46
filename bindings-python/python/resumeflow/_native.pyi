__version__: str

def migrate(database_url: str) -> None:
    """Apply every pending resumeflow migration to `database_url` (postgres:// or sqlite://)."""
