(variable_declaration
  (assignment_statement
    (expression_list
      value: (function_call
        name: (identifier) @_fn
        (#eq? @_fn "require"))))) @import

(assignment_statement
  (expression_list
    value: (function_call
      name: (identifier) @_fn
      (#eq? @_fn "require")))) @import

(function_call
  name: (identifier) @_fn
  (#eq? @_fn "require")) @import
