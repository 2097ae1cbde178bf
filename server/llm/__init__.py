"""Grove's LLM layer: the OpenAI-compatible provider, prompt templates, the embedded model.

Knows nothing of LSP. ``provider`` owns the request/result types, the error types and the
fault gate; ``templates`` owns prompt rendering; ``openai_provider`` talks to any
OpenAI-compatible endpoint, with ``request_bodies`` (what each request sends),
``answer_reader`` (reading the answer within Grove's bounds) and ``error_mapping`` (faults to
error types); ``local`` runs the bundled SmolLM2 model behind llama.cpp's server.
"""
