"""Papers in the database: upsert, lookups, listings, keys, embeddings."""
