(namespace_use_declaration) @import
(expression_statement (require_expression)) @import
(expression_statement (require_once_expression)) @import
(expression_statement (include_expression)) @import
(expression_statement (include_once_expression)) @import
