"""Language registry: LSP languageIds and file extensions to grammars and per-language facts.

Owns :class:`LanguageSpec` (one per supported language: grammar name, comment syntax, the node
types the other analyzers need) and :func:`language_for`, which the server uses to decide whether
a document gets a syntax tree or is treated as plain text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["SUPPORTED_LANGUAGES", "LanguageSpec", "language_for"]


@dataclass(frozen=True)
class LanguageSpec:
    """Everything the analyzers know about one language."""

    name: str
    """Our name, e.g. ``"python"``."""
    grammar: str
    """tree-sitter-language-pack grammar name."""
    language_ids: tuple[str, ...]
    """LSP languageIds mapped to this language."""
    extensions: tuple[str, ...]
    """File extensions (with the dot, lower case) or exact file names."""
    line_comment: str
    """Line comment marker, e.g. ``"#"``."""
    block_comment: tuple[str, str] | None
    """Block comment delimiters, if the language has them."""
    query_name: str
    """Prefix of this language's query files in ``analyzers/queries``."""
    comment_types: frozenset[str]
    """Node types of comments."""
    string_types: frozenset[str]
    """Node types of string literals (multi-line capable ones included)."""
    definition_types: frozenset[str]
    """Node types that can root a pattern of the definitions query."""
    wrapper_types: frozenset[str]
    """Nodes that wrap a definition without being one (decorators, ``export``, templates)."""
    block_types: frozenset[str]
    """Statement containers: nodes whose children are statements or members."""
    closer_keywords: frozenset[str]
    """Keywords that close a block (``end``, ``fi``, ...)."""
    import_depth: int
    """How deep below the root import statements are searched for."""
    import_hint: str
    """Regex that matches any line that could hold an import statement."""
    definition_start: str
    """Regex matching the start (after indentation) of a line that begins a new definition."""
    indent_scoped: bool = False
    """Blocks are delimited by indentation (Python)."""


_C_FAMILY_DEF = (
    r"(?:(?:public|private|protected|internal|static|final|abstract|virtual|override|async|"
    r"inline|extern|const|unsafe|sealed|partial|synchronized|constexpr)\s+)*"
    r"[A-Za-z_][\w:<>,\[\]\s\*&\.\?]*?\s*[\*&]?\s*[A-Za-z_~][\w:]*\s*\([^;]*$"
    r"|(?:class|struct|interface|enum|record|namespace|template|union|typedef)\b"
)

_JS_BLOCKS = frozenset(
    {"program", "statement_block", "class_body", "switch_case", "switch_default"}
)
_JS_STRINGS = frozenset({"string", "template_string", "regex"})
_JS_DEFS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "class_declaration",
        "lexical_declaration",
        "variable_declaration",
    }
)
_TS_DEFS = _JS_DEFS | {
    "abstract_class_declaration",
    "interface_declaration",
    "enum_declaration",
}
_JS_DEF_START = r"(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\b|class\b)"
_TS_DEF_START = (
    r"(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\b|class\b|interface\b|enum\b|type\s+\w+\s*=)"
)

_C_COMMON_BLOCKS = frozenset(
    {"translation_unit", "compound_statement", "field_declaration_list", "case_statement"}
)

SUPPORTED_LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        name="python",
        grammar="python",
        language_ids=("python",),
        extensions=(".py", ".pyi", ".pyw"),
        line_comment="#",
        block_comment=None,
        query_name="python",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string"}),
        definition_types=frozenset({"function_definition", "class_definition"}),
        wrapper_types=frozenset({"decorated_definition"}),
        block_types=frozenset({"module", "block"}),
        closer_keywords=frozenset(),
        import_depth=3,
        import_hint=r"\b(?:import|from)\b",
        definition_start=r"(?:async\s+def|def|class)\b|@",
        indent_scoped=True,
    ),
    LanguageSpec(
        name="javascript",
        grammar="javascript",
        language_ids=("javascript", "javascriptreact", "js", "jsx"),
        extensions=(".js", ".jsx", ".mjs", ".cjs"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="javascript",
        comment_types=frozenset({"comment"}),
        string_types=_JS_STRINGS,
        definition_types=_JS_DEFS,
        wrapper_types=frozenset({"export_statement"}),
        block_types=_JS_BLOCKS,
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\b(?:import|require)\b",
        definition_start=_JS_DEF_START,
    ),
    LanguageSpec(
        name="typescript",
        grammar="typescript",
        language_ids=("typescript", "ts"),
        extensions=(".ts", ".mts", ".cts"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="typescript",
        comment_types=frozenset({"comment"}),
        string_types=_JS_STRINGS,
        definition_types=_TS_DEFS,
        wrapper_types=frozenset({"export_statement"}),
        block_types=_JS_BLOCKS | {"interface_body"},
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\b(?:import|require)\b",
        definition_start=_TS_DEF_START,
    ),
    LanguageSpec(
        name="tsx",
        grammar="tsx",
        language_ids=("typescriptreact", "tsx"),
        extensions=(".tsx",),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="typescript",
        comment_types=frozenset({"comment"}),
        string_types=_JS_STRINGS,
        definition_types=_TS_DEFS,
        wrapper_types=frozenset({"export_statement"}),
        block_types=_JS_BLOCKS | {"interface_body"},
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\b(?:import|require)\b",
        definition_start=_TS_DEF_START,
    ),
    LanguageSpec(
        name="go",
        grammar="go",
        language_ids=("go",),
        extensions=(".go",),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="go",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"interpreted_string_literal", "raw_string_literal"}),
        definition_types=frozenset(
            {"function_declaration", "method_declaration", "type_declaration"}
        ),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {
                "source_file",
                "block",
                "statement_list",
                "expression_case",
                "default_case",
                "type_case",
                "communication_case",
                "field_declaration_list",
            }
        ),
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\bimport\b",
        definition_start=r"(?:func|type)\b",
    ),
    LanguageSpec(
        name="rust",
        grammar="rust",
        language_ids=("rust",),
        extensions=(".rs",),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="rust",
        comment_types=frozenset({"line_comment", "block_comment"}),
        string_types=frozenset({"string_literal", "raw_string_literal"}),
        definition_types=frozenset(
            {"function_item", "struct_item", "enum_item", "trait_item", "impl_item", "union_item"}
        ),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {"source_file", "block", "declaration_list", "field_declaration_list"}
        ),
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\b(?:use|extern)\b",
        definition_start=(
            r"(?:pub(?:\([^)]*\))?\s+)?(?:async\s+|const\s+|unsafe\s+)*"
            r"(?:fn|struct|enum|trait|impl|mod|union|type)\b|#\["
        ),
    ),
    LanguageSpec(
        name="java",
        grammar="java",
        language_ids=("java",),
        extensions=(".java",),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="java",
        comment_types=frozenset({"line_comment", "block_comment"}),
        string_types=frozenset({"string_literal"}),
        definition_types=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "compact_constructor_declaration",
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "annotation_type_declaration",
            }
        ),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {
                "program",
                "block",
                "class_body",
                "interface_body",
                "constructor_body",
                "switch_block_statement_group",
                "enum_body_declarations",
            }
        ),
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\bimport\b",
        definition_start=_C_FAMILY_DEF + r"|@\w",
    ),
    LanguageSpec(
        name="c",
        grammar="c",
        language_ids=("c",),
        extensions=(".c", ".h"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="c",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string_literal", "char_literal", "system_lib_string"}),
        definition_types=frozenset(
            {"function_definition", "struct_specifier", "union_specifier", "type_definition"}
        ),
        wrapper_types=frozenset(),
        block_types=_C_COMMON_BLOCKS,
        closer_keywords=frozenset(),
        import_depth=2,
        import_hint=r"#\s*include\b",
        definition_start=_C_FAMILY_DEF + r"|#",
    ),
    LanguageSpec(
        name="cpp",
        grammar="cpp",
        language_ids=("cpp", "c++", "cuda-cpp"),
        extensions=(".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="cpp",
        comment_types=frozenset({"comment"}),
        string_types=frozenset(
            {"string_literal", "char_literal", "system_lib_string", "raw_string_literal"}
        ),
        definition_types=frozenset(
            {
                "function_definition",
                "class_specifier",
                "struct_specifier",
                "union_specifier",
                "type_definition",
            }
        ),
        wrapper_types=frozenset({"template_declaration"}),
        block_types=_C_COMMON_BLOCKS | {"declaration_list"},
        closer_keywords=frozenset(),
        import_depth=2,
        import_hint=r"#\s*include\b|\busing\b",
        definition_start=_C_FAMILY_DEF + r"|#",
    ),
    LanguageSpec(
        name="ruby",
        grammar="ruby",
        language_ids=("ruby",),
        extensions=(".rb", ".rake", ".gemspec", "Rakefile", "Gemfile"),
        line_comment="#",
        block_comment=None,
        query_name="ruby",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string", "heredoc_body"}),
        definition_types=frozenset({"method", "singleton_method", "class", "module"}),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {
                "program",
                "body_statement",
                "then",
                "else",
                "do_block",
                "block_body",
                "begin",
                "ensure",
                "rescue",
                "when",
                "do",
            }
        ),
        closer_keywords=frozenset({"end"}),
        import_depth=1,
        import_hint=r"\b(?:require|require_relative|load)\b",
        definition_start=r"(?:def|class|module)\b",
    ),
    LanguageSpec(
        name="lua",
        grammar="lua",
        language_ids=("lua",),
        extensions=(".lua",),
        line_comment="--",
        block_comment=("--[[", "]]"),
        query_name="lua",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string"}),
        definition_types=frozenset({"function_declaration", "assignment_statement"}),
        wrapper_types=frozenset(),
        block_types=frozenset({"chunk", "block"}),
        closer_keywords=frozenset({"end"}),
        import_depth=1,
        import_hint=r"\brequire\b",
        definition_start=r"(?:local\s+)?function\b",
    ),
    LanguageSpec(
        name="csharp",
        grammar="csharp",
        language_ids=("csharp", "c#"),
        extensions=(".cs", ".csx"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="csharp",
        comment_types=frozenset({"comment"}),
        string_types=frozenset(
            {
                "string_literal",
                "verbatim_string_literal",
                "interpolated_string_expression",
                "raw_string_literal",
            }
        ),
        definition_types=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "destructor_declaration",
                "operator_declaration",
                "local_function_statement",
                "class_declaration",
                "struct_declaration",
                "interface_declaration",
                "record_declaration",
                "enum_declaration",
            }
        ),
        wrapper_types=frozenset(),
        block_types=frozenset({"compilation_unit", "block", "declaration_list", "switch_section"}),
        closer_keywords=frozenset(),
        import_depth=3,
        import_hint=r"\busing\b",
        definition_start=_C_FAMILY_DEF + r"|\[\w",
    ),
    LanguageSpec(
        name="php",
        grammar="php",
        language_ids=("php",),
        extensions=(".php", ".phtml"),
        line_comment="//",
        block_comment=("/*", "*/"),
        query_name="php",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string", "encapsed_string", "heredoc", "nowdoc"}),
        definition_types=frozenset(
            {
                "function_definition",
                "method_declaration",
                "class_declaration",
                "interface_declaration",
                "trait_declaration",
                "enum_declaration",
            }
        ),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {
                "program",
                "compound_statement",
                "declaration_list",
                "case_statement",
                "default_statement",
            }
        ),
        closer_keywords=frozenset(),
        import_depth=1,
        import_hint=r"\b(?:use|require|require_once|include|include_once)\b",
        definition_start=(
            r"(?:(?:public|private|protected|static|abstract|final|readonly)\s+)*"
            r"(?:function|class|interface|trait|enum)\b"
        ),
    ),
    LanguageSpec(
        name="bash",
        grammar="bash",
        language_ids=("shellscript", "sh", "bash", "zsh", "shell"),
        extensions=(".sh", ".bash", ".zsh", ".ksh", ".bashrc", ".bash_profile", ".profile"),
        line_comment="#",
        block_comment=None,
        query_name="bash",
        comment_types=frozenset({"comment"}),
        string_types=frozenset({"string", "raw_string", "heredoc_body", "ansi_c_string"}),
        definition_types=frozenset({"function_definition"}),
        wrapper_types=frozenset(),
        block_types=frozenset(
            {
                "program",
                "compound_statement",
                "do_group",
                "if_statement",
                "elif_clause",
                "else_clause",
                "case_item",
                "subshell",
            }
        ),
        closer_keywords=frozenset({"fi", "done", "esac"}),
        import_depth=1,
        import_hint=r"\bsource\b|^\s*\.\s",
        definition_start=r"function\s|[\w.:-]+\s*\(\)",
    ),
)

_BY_LANGUAGE_ID: dict[str, LanguageSpec] = {
    language_id: spec for spec in SUPPORTED_LANGUAGES for language_id in spec.language_ids
}
_BY_EXTENSION: dict[str, LanguageSpec] = {
    ext: spec for spec in SUPPORTED_LANGUAGES for ext in spec.extensions
}


def language_for(language_id: str | None, path: str | None) -> LanguageSpec | None:
    """Look up a language by LSP languageId first, then by the path's extension or name."""
    if language_id:
        spec = _BY_LANGUAGE_ID.get(language_id.lower())
        if spec is not None:
            return spec
    if path:
        base = os.path.basename(path.replace("\\", "/"))
        by_name = _BY_EXTENSION.get(base)
        if by_name is not None:
            return by_name
        ext = os.path.splitext(base)[1].lower()
        if not ext and base.startswith("."):
            ext = base.lower()
        return _BY_EXTENSION.get(ext)
    return None
