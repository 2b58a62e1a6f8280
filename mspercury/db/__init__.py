"""PostgreSQL backend that carries the current tenancy to the server (see mspercury.tenancy)."""
