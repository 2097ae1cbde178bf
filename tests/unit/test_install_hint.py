"""The install command Grove names in its messages works for how this copy was installed."""

from __future__ import annotations

import json

from server.llm.install_hint import GENERIC, _from_direct_url, install_command


def test_an_editable_checkout_names_that_checkout() -> None:
    record = {"url": "file:///home/me/grove", "dir_info": {"editable": True}}
    assert _from_direct_url(json.dumps(record), "local") == "pip install -e '/home/me/grove[local]'"


def test_a_local_directory_and_a_wheel_file() -> None:
    record = {"url": "file:///src/my%20grove", "dir_info": {}}
    assert _from_direct_url(json.dumps(record), "local") == "pip install '/src/my grove[local]'"
    wheel = {"url": "file:///tmp/grove_ls-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert (
        _from_direct_url(json.dumps(wheel), "local")
        == "pip install '/tmp/grove_ls-0.1.0-py3-none-any.whl[local]'"
    )


def test_a_vcs_install_and_unusable_records() -> None:
    record = {"url": "https://example.com/grove.git", "vcs_info": {"vcs": "git", "commit_id": "a"}}
    assert (
        _from_direct_url(json.dumps(record), "local")
        == "pip install 'grove-ls[local] @ git+https://example.com/grove.git'"
    )
    assert _from_direct_url(None, "local") is None
    assert _from_direct_url("not json", "local") is None
    assert _from_direct_url("[]", "local") is None


def test_this_checkout_never_says_pip_install_grove_ls() -> None:
    command = install_command()
    assert "[local]" in command
    assert command != "pip install grove-ls" and "'grove-ls[local]'" not in command
    assert GENERIC.format(extra="local") == (
        "from a clone of the Grove repository: pip install -e '.[local]'"
    )
