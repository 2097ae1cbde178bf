"""LSP features, one module each; every module exposes ``register(server)``.

Each imports :class:`server.lsp.state.GroveServer` and the pipeline it serves; only
:mod:`server.lsp.registration` imports the features.
"""
