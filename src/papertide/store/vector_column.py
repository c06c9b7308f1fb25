"""A column type for embeddings: pgvector's ``vector(n)`` on PostgreSQL, float32 bytes elsewhere."""

from __future__ import annotations

import numpy as np
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class EmbeddingVector(TypeDecorator):
    """Values are float32 numpy vectors of ``dim`` numbers, whichever the database."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import VECTOR

            return dialect.type_descriptor(VECTOR(self.dim))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect: Dialect):
        if value is None:
            return None
        vector = np.asarray(value, dtype=np.float32)
        if vector.shape != (self.dim,):
            raise ValueError(f"an embedding of {vector.shape} numbers for a column of {self.dim}")
        return vector if dialect.name == "postgresql" else vector.tobytes()

    def process_result_value(self, value, dialect: Dialect):
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return np.frombuffer(value, dtype=np.float32)
        return np.asarray(value, dtype=np.float32)
