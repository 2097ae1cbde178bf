(function_item
  name: (identifier) @name
  body: (block) @body) @definition.function

(struct_item
  name: (type_identifier) @name
  body: (_)? @body) @definition.class

(union_item
  name: (type_identifier) @name
  body: (_) @body) @definition.class

(enum_item
  name: (type_identifier) @name
  body: (enum_variant_list) @body) @definition.class

(trait_item
  name: (type_identifier) @name
  body: (declaration_list) @body) @definition.class

(impl_item
  type: (_) @name
  body: (declaration_list) @body) @definition.class
