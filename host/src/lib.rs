//! wasp host
