"""LSP features, one module each; every module exposes ``register(server)``."""
