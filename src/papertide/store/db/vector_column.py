"""A column type for embeddings: pgvector's ``vector(n)`` on PostgreSQL, float32 bytes elsewhere.

Reading many vectors (a new node copies a million) goes through :func:`vector_bytes`: pgvector's
text form costs the server a float-to-text conversion per number and Python a parse per number,
about 0.4 ms a vector; its binary form is a copy.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

_PGVECTOR_HEADER = 4  # vector_send: int16 dimensions, int16 unused, then big-endian float4s


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


class vector_bytes(FunctionElement):
    """An embedding column as bytes in the database's binary form; :func:`vector_from_bytes` reads them."""

    type = LargeBinary()
    inherit_cache = True


@compiles(vector_bytes)
def _stored_bytes(element: vector_bytes, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)  # elsewhere the column holds float32 bytes already


@compiles(vector_bytes, "postgresql")
def _vector_send(element: vector_bytes, compiler, **kw) -> str:
    return f"vector_send({compiler.process(element.clauses, **kw)})"


def vector_from_bytes(value: bytes, dialect: str) -> np.ndarray:
    """The float32 vector of a :func:`vector_bytes` value read from a database of ``dialect``."""
    if dialect == "postgresql":
        return np.frombuffer(value, dtype=">f4", offset=_PGVECTOR_HEADER).astype(np.float32)
    return np.frombuffer(value, dtype=np.float32)
