(function_definition
  name: (name) @name
  body: (compound_statement) @body) @definition.function

(method_declaration
  name: (name) @name
  body: (compound_statement)? @body) @definition.method

(class_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.class

(interface_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.class

(trait_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.class

(enum_declaration
  name: (name) @name
  body: (enum_declaration_list) @body) @definition.class
