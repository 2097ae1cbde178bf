"""Grove's LLM layer: providers behind one Protocol, prompt templates, the embedded model.

Knows nothing of LSP. ``provider`` owns the request/result types, the error types and the
fault gate; ``templates`` owns prompt rendering; ``openai_provider`` talks to any
OpenAI-compatible endpoint; ``local`` runs the bundled SmolLM2 model behind llama.cpp's server.
"""
