"""Shared reads of user pools, one module per area. Every lookup that takes an id from a request
is scoped by its pool; a reader that needs the object gets a domain error rather than None."""
