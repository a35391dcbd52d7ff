//! numeric

use super::Builtin;

pub(super) const FUNCTIONS: &[Builtin] = &[];
