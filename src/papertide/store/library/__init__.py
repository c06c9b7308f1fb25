"""The library in the database: votes and collections."""
