//! `ucase(s VARCHAR) RETURNS VARCHAR`: the text in upper case (Unicode's full case
//! mapping, as Java's `toUpperCase` and ksqlDB's `UCASE` do). The string twin of the
//! built-in, for `wasp bench --functions`; the same function as `udfs/ucase/python`
//! and `udfs/ucase/js`.

/// The text in upper case.
#[wasp::udf]
pub fn ucase(s: &str) -> String {
    s.to_uppercase()
}

wasp::export!(ucase);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_case_as_java_maps_it() {
        assert_eq!(ucase("user_000042"), "USER_000042");
        assert_eq!(ucase("straße"), "STRASSE");
        assert_eq!(ucase(""), "");
    }
}
