"""Ignore rules: built-in secrets, nested .gitignore semantics, .groveignore, exclude globs."""

from __future__ import annotations

import pytest

from analyzers.ignore import SECRET_PATTERNS, IgnoreRules, IgnoreRulesError

ROOT = "/work/project"


def at(relative: str) -> str:
    return f"{ROOT}/{relative}"


@pytest.mark.parametrize(
    "relative",
    [
        ".env",
        ".env.local",
        ".env.production",
        "config/prod.env",
        "certs/server.pem",
        "certs/server.key",
        "id_rsa",
        "id_rsa.pub",
        "keys/id_ed25519",
        "id_ecdsa",
        "id_dsa",
        "deploy_rsa",
        ".aws/credentials",
        ".aws/config",
        ".ssh/config",
        ".ssh/known_hosts",
        ".kube/config",
        "nested/.gnupg/pubring.kbx",
        ".docker/config.json",
        "home/.docker/config.json",
        "client.p12",
        "client.pfx",
        "release.keystore",
        "app.jks",
        "credentials",
        "credentials.json",
        ".netrc",
        ".npmrc",
        ".pypirc",
        "secrets.yaml",
        "config/secrets.json",
        "vault.kdbx",
        ".git-credentials",
        ".pgpass",
        "infra/terraform.tfstate",
        "infra/prod.tfvars",
        ".config/gcloud/application_default_credentials.json",
        "service-account-prod.json",
        ".envrc",
        ".htpasswd",
    ],
)
def test_secret_files_are_secret_and_ignored(relative: str) -> None:
    rules = IgnoreRules(ROOT)
    assert rules.is_secret(at(relative))
    assert rules.is_ignored(at(relative))


@pytest.mark.parametrize(
    "relative",
    ["main.py", "src/env.py", "docs/keys.md", "environment.yml", "src/secret_santa.py", "key.py"],
)
def test_ordinary_files_are_not_secret(relative: str) -> None:
    rules = IgnoreRules(ROOT)
    assert not rules.is_secret(at(relative))
    assert not rules.is_ignored(at(relative))


def test_every_listed_secret_pattern_compiles_and_matches_something() -> None:
    examples = {
        ".env": ".env",
        ".env.*": ".env.test",
        "*.pem": "a.pem",
        "*.key": "a.key",
        "id_rsa*": "id_rsa_old",
        "id_ed25519*": "id_ed25519.pub",
        "id_ecdsa*": "id_ecdsa",
        "id_dsa*": "id_dsa",
        ".aws/": ".aws/x",
        ".ssh/": ".ssh/x",
        ".kube/": ".kube/x",
        ".gnupg/": ".gnupg/x",
        "**/.docker/config.json": ".docker/config.json",
        "*.p12": "a.p12",
        "*.pfx": "a.pfx",
        "*.keystore": "a.keystore",
        "*.jks": "a.jks",
        "credentials*": "credentials.toml",
        ".netrc": ".netrc",
        ".npmrc": ".npmrc",
        ".pypirc": ".pypirc",
        "secrets.*": "secrets.toml",
        "*.kdbx": "a.kdbx",
    }
    rules = IgnoreRules(ROOT)
    for pattern, example in examples.items():
        assert pattern in SECRET_PATTERNS
        assert rules.is_secret(at(example)), pattern


def test_secrets_match_whatever_the_case_and_wherever_the_root_is() -> None:
    rules = IgnoreRules("/home/me/.ssh")
    assert rules.is_secret("/home/me/.ssh/config")  # a workspace opened inside ~/.ssh
    assert IgnoreRules(ROOT).is_secret(at("Deploy/.ENV"))
    assert IgnoreRules(ROOT).is_secret(at("KEYS/Server.PEM"))


def test_gitignore_cannot_re_include_a_secret() -> None:
    rules = IgnoreRules(ROOT, {"": "!.env\n!*.pem\n"})
    assert rules.is_ignored(at(".env"))
    assert rules.is_ignored(at("a.pem"))


def test_nested_gitignore_negation_and_dir_only_patterns() -> None:
    rules = IgnoreRules(
        ROOT,
        gitignores={
            "": "*.log\nbuild/\n/top.txt\ncache\n",
            "pkg": "!*.log\nlocal/\n",
            "pkg/deep": "*.log\n",
        },
    )
    assert rules.is_ignored(at("debug.log"))
    assert rules.is_ignored(at("src/debug.log"))
    assert not rules.is_ignored(at("pkg/debug.log"))  # the deeper file re-includes
    assert rules.is_ignored(at("pkg/deep/debug.log"))  # and a still deeper one ignores again
    assert rules.is_ignored(at("build/out.py"))  # dir-only pattern: the directory
    assert rules.is_ignored(at("src/build/out.py"))
    assert not rules.is_ignored(at("pkg/local"))  # dir-only: a *file* named local is kept
    assert rules.is_ignored(at("pkg/local/x.py"))
    assert not rules.is_ignored(at("local/x.py"))  # pkg's patterns apply only under pkg
    assert rules.is_ignored(at("top.txt"))  # anchored
    assert not rules.is_ignored(at("src/top.txt"))
    assert rules.is_ignored(at("cache"))
    assert rules.is_ignored(at("src/cache/data.py"))
    assert not rules.is_ignored(at("src/main.py"))


def test_nothing_inside_an_ignored_directory_can_be_re_included() -> None:
    rules = IgnoreRules(ROOT, {"": "vendor/\n!vendor/keep.py\n", "vendor": "!*.py\n"})
    assert rules.is_ignored(at("vendor/keep.py"))
    assert rules.is_ignored(at("vendor/other.py"))


def test_negation_of_a_file_pattern_in_the_same_file() -> None:
    rules = IgnoreRules(ROOT, {".": "*.py\n!keep.py\n"})
    assert rules.is_ignored(at("a.py"))
    assert not rules.is_ignored(at("keep.py"))
    assert not rules.is_ignored(at("sub/keep.py"))


def test_groveignore_adds_patterns_and_wins_over_gitignore_in_the_same_directory() -> None:
    rules = IgnoreRules(
        ROOT,
        gitignores={"": "generated.py\n"},
        groveignores={"": "fixtures/\n!generated.py\n", "sub": "*.csv\n"},
    )
    assert rules.is_ignored(at("fixtures/big.json"))
    assert not rules.is_ignored(at("generated.py"))
    assert rules.is_ignored(at("sub/data.csv"))
    assert not rules.is_ignored(at("data.csv"))


def test_excludes_are_gitignore_globs_relative_to_the_root() -> None:
    rules = IgnoreRules(ROOT, excludes=["*.min.js", "/scratch/", "docs/**/*.md", "!keep.min.js"])
    assert rules.is_ignored(at("static/app.min.js"))
    assert not rules.is_ignored(at("static/keep.min.js"))
    assert rules.is_ignored(at("scratch/notes.py"))
    assert not rules.is_ignored(at("src/scratch/notes.py"))
    assert rules.is_ignored(at("docs/a/b/readme.md"))
    assert not rules.is_ignored(at("readme.md"))


def test_excludes_cannot_be_undone_by_gitignore() -> None:
    rules = IgnoreRules(ROOT, {"": "!*.min.js\n"}, excludes=["*.min.js"])
    assert rules.is_ignored(at("app.min.js"))


def test_paths_outside_the_root_only_see_secrets_and_excludes() -> None:
    rules = IgnoreRules(ROOT, {"": "*.py\n"}, excludes=["*.min.js", "generated/"])
    assert not rules.is_ignored("/elsewhere/tool.py")
    assert rules.is_ignored("/elsewhere/app.min.js")
    assert rules.is_ignored("/elsewhere/generated/x.py")
    assert rules.is_ignored("/elsewhere/.env")
    assert rules.is_ignored(at("tool.py"))
    assert rules.relative_parts("/elsewhere/tool.py") is None


def test_rules_without_a_root() -> None:
    rules = IgnoreRules(None, excludes=["*.log"])
    assert rules.is_ignored("/any/where/x.log")
    assert rules.is_ignored("/any/where/id_rsa")
    assert not rules.is_ignored("/any/where/x.py")


def test_git_directory_is_never_context() -> None:
    rules = IgnoreRules(ROOT)
    assert rules.is_ignored(at(".git/config"))
    assert rules.is_ignored(at("sub/.git/HEAD"))
    assert not rules.is_ignored(at(".github/workflows/ci.yml"))


def test_with_directory_and_with_excludes_return_updated_copies() -> None:
    rules = IgnoreRules(ROOT)
    updated = rules.with_directory("sub", "*.txt\n", None)
    assert updated.is_ignored(at("sub/a.txt"))
    assert not rules.is_ignored(at("sub/a.txt"))
    assert not updated.with_directory("sub", None, None).is_ignored(at("sub/a.txt"))
    assert updated.with_excludes(["*.py"]).is_ignored(at("a.py"))
    assert updated.with_excludes(["*.py"]).is_ignored(at("sub/a.txt"))
    assert updated.directories == ["sub"]


def test_comments_blank_lines_and_crlf_are_accepted() -> None:
    rules = IgnoreRules(ROOT, {"": "# build output\r\n\r\nout/\r\n"})
    assert rules.is_ignored(at("out/a.py"))
    assert not rules.is_ignored(at("# build output"))


@pytest.mark.parametrize("bad", ["[z-a]", "foo\\", "!"])
def test_malformed_gitignore_raises_a_clear_error(bad: str) -> None:
    with pytest.raises(IgnoreRulesError) as caught:
        IgnoreRules(ROOT, {"sub": f"ok.txt\n{bad}\n"})
    error = caught.value
    assert error.source == "sub/.gitignore"
    assert error.line == 2
    assert error.pattern == bad
    assert "sub/.gitignore:2" in str(error)


def test_malformed_groveignore_names_the_groveignore() -> None:
    with pytest.raises(IgnoreRulesError, match=r"\.groveignore:1"):
        IgnoreRules(ROOT, groveignores={"": "[z-a]\n"})


def test_malformed_exclude_glob_raises() -> None:
    with pytest.raises(IgnoreRulesError, match=r"grove\.context\.exclude"):
        IgnoreRules(ROOT, excludes=["ok/", "[z-a]"])
    with pytest.raises(IgnoreRulesError):
        IgnoreRules(ROOT).with_excludes(["foo\\"])
