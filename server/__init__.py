"""Grove's language server: LSP wiring, settings, documents and the model layer."""

__version__ = "0.1.0"
