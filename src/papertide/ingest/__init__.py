"""Ingest: source items -> validated batches -> store (pipeline), export, the sources and the demo corpus."""
