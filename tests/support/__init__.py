"""Shared test support: the scripted OpenAI-compatible server and its pytest fixtures."""
