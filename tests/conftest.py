"""Shared pytest set-up: the scripted OpenAI-compatible server fixtures."""

pytest_plugins = ["tests.support.fixtures"]
