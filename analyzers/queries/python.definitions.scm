; Definitions: @definition.{function,method,class} with @name and (optional) @body.
(function_definition
  name: (identifier) @name
  body: (block) @body) @definition.function

(class_definition
  name: (identifier) @name
  body: (block) @body) @definition.class
