(command
  name: (command_name (word) @_cmd)
  (#any-of? @_cmd "source" ".")) @import
