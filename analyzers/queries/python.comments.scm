(comment) @comment
; Docstrings: a string that is the first statement of a module or block.
(module . (string) @comment)
(block . (string) @comment)
