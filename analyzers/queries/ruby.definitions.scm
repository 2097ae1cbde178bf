(method
  name: (_) @name
  body: (_)? @body) @definition.function

(singleton_method
  name: (_) @name
  body: (_)? @body) @definition.method

(class
  name: (_) @name
  body: (_)? @body) @definition.class

(module
  name: (_) @name
  body: (_)? @body) @definition.class
