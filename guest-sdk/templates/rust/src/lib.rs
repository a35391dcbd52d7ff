//! `{{name}}(text VARCHAR) RETURNS VARCHAR`: the text in upper case. Replace the
//! body with your function; NULL in, NULL out unless a parameter is an `Option`.

/// The text in upper case; an empty text is a per-row error.
#[wasp::udf]
pub fn {{name}}(text: &str) -> Result<String, &'static str> {
    if text.is_empty() {
        return Err("empty text");
    }
    Ok(text.to_uppercase())
}

wasp::export!({{name}});

#[cfg(test)]
mod tests {
    #[test]
    fn upper_cases() {
        assert_eq!(super::{{name}}("abc"), Ok("ABC".to_string()));
        assert!(super::{{name}}("").is_err());
    }
}
