//! json

use super::Builtin;

pub(super) const FUNCTIONS: &[Builtin] = &[];
