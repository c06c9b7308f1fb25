"""The worker: the daily ingest -> index -> trending -> digest chain, run on a schedule by ``papertide worker``."""
