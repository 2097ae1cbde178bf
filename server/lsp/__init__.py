"""The LSP layer: everything bound to pygls and lsprotocol.

* :mod:`.state` -- :class:`~server.lsp.state.GroveServer`, the server object holding all state;
* :mod:`.registration` -- :func:`~server.lsp.registration.create_server`, wiring every feature;
* :mod:`.features` -- one handler module per feature, each a thin layer over a pipeline in
  ``server/`` (which knows no LSP types);
* :mod:`.transport`, :mod:`.pygls_internals`, :mod:`.cancellation`, :mod:`.progress`,
  :mod:`.logs`, :mod:`.documents`, :mod:`.command_results` -- the protocol plumbing.
"""
