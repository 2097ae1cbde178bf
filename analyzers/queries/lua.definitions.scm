(function_declaration
  name: (_) @name
  body: (block)? @body) @definition.function

; M.render = function(players) ... end
(assignment_statement
  (variable_list . name: (_) @name)
  (expression_list . value: (function_definition body: (block)? @body))) @definition.function
