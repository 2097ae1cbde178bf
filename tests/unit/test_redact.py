"""Inline secret redaction (analyzers.redact): what is found, what is not, the placeholders."""

from __future__ import annotations

import ast

import pytest

from analyzers.redact import (
    PLACEHOLDER_PREFIX,
    Redactor,
    contains_placeholder,
    find_secrets,
    redact,
)
from tests.fixtures.secrets.fake_secrets import (
    FAKE,
    KEY_BODY_LINES,
    clean_files,
    secret_values,
    with_secrets,
)

POSITIVE = {
    "aws key id": f'AWS_ACCESS_KEY_ID = "{FAKE["AWS_KEY_ID"]}"',
    "aws key id in prose": f"# rotate {FAKE['AWS_KEY_ID']} next week",
    "aws secret key": f'aws_secret_access_key = "{FAKE["AWS_SECRET"]}"',
    "github token": f"GITHUB_TOKEN = '{FAKE['GITHUB_TOKEN']}'",
    "github token unquoted": f"export GH={FAKE['GITHUB_TOKEN']}",
    "slack token": f'slack = WebClient(token="{FAKE["SLACK_TOKEN"]}")',
    "jwt": f'headers = {{"Authorization": "Bearer {FAKE["JWT"]}"}}',
    "password assignment": f'password = "{FAKE["PASSWORD"]}"',
    "password in a dict": f'db = {{"user": "app", "password": "{FAKE["PASSWORD"]}"}}',
    "password keyword argument": f'connect(host="db", passwd="{FAKE["PASSWORD"]}")',
    "typed secret": f'api_key: str = "{FAKE["PASSWORD"]}"',
    "javascript const": f'const clientSecret = "{FAKE["PASSWORD"]}";',
    "yaml": f'password: "{FAKE["PASSWORD"]}"',
    "high entropy assignment": f'signing_blob = "{FAKE["HIGH_ENTROPY"]}"',
    "url credentials": f'DSN = "postgres://app:{FAKE["PASSWORD"]}@db.internal:5432/app"',
}


@pytest.mark.parametrize("line", POSITIVE.values(), ids=POSITIVE.keys())
def test_each_kind_of_inline_secret_is_replaced_by_a_placeholder(line: str) -> None:
    result = redact(line)
    assert result.redacted
    assert f"{PLACEHOLDER_PREFIX}1" in result.text
    for value in secret_values():
        assert value not in result.text
    # The code keeps its shape: only the secret changed, quotes and punctuation stayed.
    (secret,) = result.secrets
    assert result.text == line[: secret.start] + "REDACTED_SECRET_1" + line[secret.end :]


def test_private_key_block_keeps_its_lines_and_markers() -> None:
    text = f"KEY = '''{FAKE['PRIVATE_KEY']}'''\nx = 1\n"
    result = redact(text)
    assert result.text.splitlines() == [
        "KEY = '''-----BEGIN RSA PRIVATE KEY-----",
        "REDACTED_SECRET_1",
        "REDACTED_SECRET_1",
        "REDACTED_SECRET_1",
        "-----END RSA PRIVATE KEY-----'''",
        "x = 1",
    ]


def test_private_key_in_one_string_with_escaped_newlines() -> None:
    body = "\\n".join(KEY_BODY_LINES)
    text = f'KEY = "-----BEGIN EC PRIVATE KEY-----\\n{body}\\n-----END EC PRIVATE KEY-----"\n'
    result = redact(text)
    assert result.text == (
        'KEY = "-----BEGIN EC PRIVATE KEY-----\\nREDACTED_SECRET_1\\nREDACTED_SECRET_1'
        '\\nREDACTED_SECRET_1\\n-----END EC PRIVATE KEY-----"\n'
    )


def test_a_key_block_cut_off_by_the_prompt_is_still_redacted_up_to_the_code() -> None:
    header = FAKE["PRIVATE_KEY"].split("\n")[0]
    text = f"KEY = '''{header}\n{KEY_BODY_LINES[0]}\n{KEY_BODY_LINES[1]}\n"
    result = redact(text)
    assert result.text == f"KEY = '''{header}\nREDACTED_SECRET_1\nREDACTED_SECRET_1\n"


def test_a_key_header_used_as_a_constant_is_left_alone() -> None:
    text = 'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    return parse(text)\n'
    assert not redact(text).redacted


def test_the_fixture_module_is_fully_redacted_and_still_parses_with_the_same_lines() -> None:
    text = with_secrets()
    result = redact(text)
    for value in secret_values():
        assert value not in result.text
    assert result.text.count("\n") == text.count("\n")
    ast.parse(result.text)
    secret_lines = set(KEY_BODY_LINES)
    unchanged = [
        line
        for line in text.splitlines()
        if "=" not in line and '"' not in line and line not in secret_lines
    ]
    assert "def connect(host: str) -> str:" in unchanged
    for line in unchanged:
        assert line in result.text.splitlines()


def test_the_same_value_gets_the_same_placeholder_and_others_get_new_ones() -> None:
    text = with_secrets()
    result = redact(text)
    password = FAKE["PASSWORD"]
    spans = [
        placeholder
        for secret, placeholder in zip(result.secrets, result.placeholders, strict=True)
        if text[secret.start : secret.end] == password
    ]
    assert len(spans) == 2 and spans[0] == spans[1]
    assert len(set(result.placeholders)) == len(FAKE)  # one per distinct secret (key: one)


def test_one_redactor_numbers_placeholders_across_the_texts_of_a_request() -> None:
    redactor = Redactor()
    prefix = redactor.redact(f'token = "{FAKE["GITHUB_TOKEN"]}"\npassword = "')
    suffix = redactor.redact(f'"\nagain = "{FAKE["GITHUB_TOKEN"]}"\nkey = "{FAKE["AWS_KEY_ID"]}"')
    assert prefix.placeholders == ("REDACTED_SECRET_1",)
    assert suffix.placeholders == ("REDACTED_SECRET_1", "REDACTED_SECRET_2")
    assert redactor.placeholders == {"REDACTED_SECRET_1", "REDACTED_SECRET_2"}


def test_crlf_text_keeps_its_line_endings() -> None:
    text = f'a = 1\r\npassword = "{FAKE["PASSWORD"]}"\r\nb = 2\r\n'
    assert redact(text).text == 'a = 1\r\npassword = "REDACTED_SECRET_1"\r\nb = 2\r\n'


@pytest.mark.parametrize("path", clean_files(), ids=lambda p: p.name)
def test_negative_fixtures_are_left_untouched(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    result = redact(text)
    assert result.secrets == ()
    assert result.text == text


NEGATIVE = {
    "templated": 'password = "${DB_PASSWORD}"',
    "jinja": 'secret = "{{ vault_secret }}"',
    "environ": 'key = os.environ["AWS_SECRET_ACCESS_KEY"]',
    "process.env": "const token = process.env.TOKEN;",
    "aws docs sample": 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
    "uuid": 'correlation = "123e4567-e89b-12d3-a456-426614174000"',
    "sha256": 'checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    "empty": 'password = ""',
    "sentence": 'token_help = "Paste the token you were given"',
    "format string": 'password = "{}:{}".format(user, pw)',
    "call": 'password = getpass("Password: ")',
    "identifier": "password = self._password",
    "comparison": 'if password == "":',
    "sequential": 'api_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"',
    "normal code": "def area(width: float, height: float) -> float:\n    return width * height\n",
    "placeholder already": 'password = "REDACTED_SECRET_3"',
}


@pytest.mark.parametrize("text", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_no_false_positives(text: str) -> None:
    assert find_secrets(text) == ()
    assert redact(text).text == text


def test_contains_placeholder_checks_any_or_the_given_ones() -> None:
    assert contains_placeholder("x = REDACTED_SECRET_12")
    assert not contains_placeholder("x = REDACTED_SECRETS")
    assert contains_placeholder("x = REDACTED_SECRET_2", {"REDACTED_SECRET_2"})
    assert not contains_placeholder("x = REDACTED_SECRET_2", {"REDACTED_SECRET_1"})
    assert not contains_placeholder("x = REDACTED_SECRET_10", {"REDACTED_SECRET_1"})
