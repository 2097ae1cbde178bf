"""Grove's pure analysis layer: tree-sitter documents, structure, context windows, validation.

Synchronous and free of LSP/HTTP dependencies; every offset in this package is a code-point
offset into a document's text (``analyzers.positions`` converts to and from LSP positions).
"""
