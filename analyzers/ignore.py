"""Which files Grove may read for context: secrets, .gitignore, .groveignore and exclude globs.

This module owns the *decision*, not the reading: callers pass the text of every ignore file
they found (``{directory relative to the root: text}``) and ask about absolute paths. All
pattern files use gitignore syntax and are matched with ``pathspec``'s ``GitIgnoreSpec``.

Precedence, strongest first:

1. :data:`SECRET_PATTERNS` (built in, case-insensitive, matched against every component of the
   absolute path, so a workspace opened inside ``~/.ssh`` is still secret) — never overridable;
2. exclude globs from settings (relative to the root; outside it, any component can match);
3. ``.git/`` directories;
4. ``.gitignore`` + ``.groveignore`` per directory, with git's semantics: a deeper file
   overrides a shallower one, the last matching line wins, ``!`` re-includes, and nothing
   inside an ignored directory can be re-included. In one directory the ``.groveignore`` lines
   come after the ``.gitignore`` lines, so they win.

Malformed pattern text raises :class:`IgnoreRulesError`; callers fail closed on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePath, PurePosixPath

from pathspec import GitIgnoreSpec

GITIGNORE = ".gitignore"
GROVEIGNORE = ".groveignore"
IGNORE_FILE_NAMES = (GITIGNORE, GROVEIGNORE)

# Files that are never read for context nor sent to a model, whatever the ignore files say.
# Lowercase: they are matched against the lowercased path.
SECRET_PATTERNS: tuple[str, ...] = (
    # environment files
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    # private keys and certificate stores
    "*.pem",
    "*.key",
    "*.ppk",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "id_dsa*",
    "*_rsa",
    "*_ed25519",
    "*_ecdsa",
    "*_dsa",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "*.jceks",
    "*.keytab",
    "*.kdbx",
    "*.gpg",
    # credential directories
    ".aws/",
    ".ssh/",
    ".kube/",
    ".gnupg/",
    ".azure/",
    "**/.config/gcloud/",
    "**/.docker/config.json",
    ".dockercfg",
    "kubeconfig",
    # credential files
    "credentials*",
    "application_default_credentials.json",
    "service-account*.json",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".git-credentials",
    ".pgpass",
    ".my.cnf",
    ".htpasswd",
    ".boto",
    ".s3cfg",
    ".vault-token",
    ".terraformrc",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfvars",
    "secrets.*",
    ".secrets/",
    "*.secret",
    "*.secrets",
)

# Directories whose content is never context, whatever the ignore files say.
ALWAYS_IGNORED: tuple[str, ...] = (".git/",)


class IgnoreRulesError(ValueError):
    """Pattern text that cannot be compiled; callers must treat the affected paths as ignored."""

    def __init__(self, source: str, line: int | None, pattern: str | None, reason: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        detail = f" {pattern!r}" if pattern is not None else ""
        super().__init__(f"invalid ignore pattern{detail} in {where}: {reason}")
        self.source = source
        self.line = line
        self.pattern = pattern
        self.reason = reason


def compile_patterns(lines: Iterable[str], source: str) -> GitIgnoreSpec:
    """Compile gitignore-style lines; raise :class:`IgnoreRulesError` naming the bad line."""
    lines = list(lines)
    try:
        return GitIgnoreSpec.from_lines(lines)
    except Exception:  # pathspec raises its own errors and re.error
        pass
    for number, line in enumerate(lines, start=1):
        try:
            GitIgnoreSpec.from_lines([line])
        except Exception as error:
            raise IgnoreRulesError(source, number, line.rstrip("\r\n"), str(error)) from error
    raise IgnoreRulesError(source, None, None, "the patterns cannot be compiled together")


def _directory_key(directory: str) -> str:
    """``"."``, ``""``, ``"a/b/"``, ``"a\\b"`` → ``""``, ``""``, ``"a/b"``, ``"a/b"``."""
    key = PurePosixPath(directory.replace("\\", "/")).as_posix()
    return "" if key in (".", "/") else key.strip("/")


def _is_ignored_by(spec: GitIgnoreSpec, parts: Sequence[str], is_dir: bool) -> bool:
    """Whether ``parts`` (a relative path) or one of its parent directories matches ``spec``."""
    for end in range(1, len(parts) + 1):
        last = end == len(parts)
        candidate = "/".join(parts[:end]) + ("" if last and not is_dir else "/")
        if spec.check_file(candidate).include:
            return True
    return False


_SECRETS = compile_patterns(SECRET_PATTERNS, "built-in secret patterns")
_ALWAYS = compile_patterns(ALWAYS_IGNORED, "built-in ignore patterns")


class IgnoreRules:
    """The ignore decision for one workspace root (immutable; ``with_*`` return copies)."""

    def __init__(
        self,
        root: str | None,
        gitignores: Mapping[str, str] | None = None,
        groveignores: Mapping[str, str] | None = None,
        excludes: Sequence[str] = (),
    ) -> None:
        self.root: PurePath | None = PurePath(root) if root else None
        self._specs: dict[str, GitIgnoreSpec] = {}
        self._excludes = compile_patterns(excludes, "grove.context.exclude")
        git = {_directory_key(d): text for d, text in (gitignores or {}).items()}
        grove = {_directory_key(d): text for d, text in (groveignores or {}).items()}
        for key in sorted({*git, *grove}):
            spec = self._compile_directory(key, git.get(key), grove.get(key))
            if spec is not None:
                self._specs[key] = spec

    @staticmethod
    def _compile_directory(
        key: str, gitignore: str | None, groveignore: str | None
    ) -> GitIgnoreSpec | None:
        lines: list[str] = []
        sources: list[tuple[str, int]] = []
        for name, text in ((GITIGNORE, gitignore), (GROVEIGNORE, groveignore)):
            if text:
                source = f"{key}/{name}" if key else name
                # Compile each file on its own first so an error names the right file and line.
                file_lines = text.splitlines()
                compile_patterns(file_lines, source)
                sources.append((source, len(file_lines)))
                lines.extend(file_lines)
        if not lines:
            return None
        return compile_patterns(lines, " + ".join(s for s, _ in sources))

    def with_directory(
        self, directory: str, gitignore: str | None, groveignore: str | None
    ) -> IgnoreRules:
        """A copy with the ignore files of ``directory`` (relative to the root) replaced."""
        key = _directory_key(directory)
        spec = self._compile_directory(key, gitignore, groveignore)
        copy = self._copy()
        copy._specs = dict(self._specs)
        if spec is None:
            copy._specs.pop(key, None)
        else:
            copy._specs[key] = spec
        return copy

    def with_excludes(self, excludes: Sequence[str]) -> IgnoreRules:
        """A copy with other exclude globs."""
        spec = compile_patterns(excludes, "grove.context.exclude")
        copy = self._copy()
        copy._excludes = spec
        return copy

    def _copy(self) -> IgnoreRules:
        copy = object.__new__(IgnoreRules)
        copy.root = self.root
        copy._specs = self._specs
        copy._excludes = self._excludes
        return copy

    @property
    def directories(self) -> list[str]:
        """Directories (relative to the root) that have ignore patterns."""
        return sorted(self._specs)

    def relative_parts(self, path: str) -> tuple[str, ...] | None:
        """Components of ``path`` relative to the root, or None when it is outside."""
        if self.root is None:
            return None
        try:
            return PurePath(path).relative_to(self.root).parts
        except ValueError:
            return None

    def is_secret(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` matches a built-in secret pattern (any component, any case)."""
        pure = PurePath(path.lower())
        parts = pure.parts[1:] if pure.anchor else pure.parts
        return _is_ignored_by(_SECRETS, parts, is_dir)

    def is_ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` (absolute) must never be read for context."""
        if self.is_secret(path, is_dir=is_dir):
            return True
        relative = self.relative_parts(path)
        if relative is None:
            pure = PurePath(path)
            outside = pure.parts[1:] if pure.anchor else pure.parts
            return _is_ignored_by(self._excludes, outside, is_dir)
        if not relative:
            return False  # the root itself
        if _is_ignored_by(self._excludes, relative, is_dir):
            return True
        if _is_ignored_by(_ALWAYS, relative, is_dir):
            return True
        for end in range(1, len(relative) + 1):
            if self._git_decision(relative[:end], is_dir or end < len(relative)):
                return True  # nothing inside an ignored directory can be re-included
        return False

    def _git_decision(self, parts: Sequence[str], is_dir: bool) -> bool:
        """The ignore files' verdict on one path: the deepest file with a matching line wins."""
        decision: bool | None = None
        for depth in range(len(parts)):
            spec = self._specs.get("/".join(parts[:depth]))
            if spec is None:
                continue
            candidate = "/".join(parts[depth:]) + ("/" if is_dir else "")
            verdict = spec.check_file(candidate).include
            if verdict is not None:
                decision = verdict
        return bool(decision)
