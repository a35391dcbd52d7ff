//! The `wasp` shell.
