//! `mask_email(email VARCHAR) RETURNS VARCHAR`: keeps the first character of the
//! local part and the domain, and masks the rest, one `*` per character:
//! `alice@example.com` -> `a****@example.com`.
//!
//! A value that is not an e-mail address (no `@`, or nothing before it) is a per-row
//! error: its result is NULL and the processing log says why, without the value.

/// Masks the local part of an e-mail address: alice@example.com -> a****@example.com.
#[wasp::udf]
pub fn mask_email(email: &str) -> Result<String, &'static str> {
    let (local, domain) = email.rsplit_once('@').ok_or("not an e-mail address: no '@'")?;
    let mut chars = local.chars();
    let first = chars.next().ok_or("not an e-mail address: nothing before '@'")?;
    let mut masked = String::with_capacity(email.len());
    masked.push(first);
    masked.extend(chars.map(|_| '*'));
    masked.push('@');
    masked.push_str(domain);
    Ok(masked)
}

wasp::export!(mask_email);

#[cfg(test)]
mod tests {
    use super::*;
    use wasp::{Batch, ColumnBuilder, ColumnRef, NullHandling, RowError, StrView, StringBuilder};

    #[test]
    fn masks_the_local_part() {
        assert_eq!(mask_email("alice@example.com"), Ok("a****@example.com".to_string()));
        assert_eq!(mask_email("é@x.org"), Ok("é@x.org".to_string()));
        // The domain follows the last '@'.
        assert_eq!(mask_email("a.b@c@d.io"), Ok("a****@d.io".to_string()));
        assert!(mask_email("no-at-sign").is_err());
        assert!(mask_email("@example.com").is_err());
    }

    #[test]
    fn describe_and_a_batch_as_the_host_sends_it() {
        let registry = udf_registry();
        let defs = registry.describe();
        assert_eq!(defs[0].signature(), "mask_email(email STRING) RETURNS STRING");
        assert_eq!(defs[0].null_handling, NullHandling::NullOnNull);

        let mut input = StringBuilder::with_capacity(3);
        input.append("bob@example.com");
        input.append_null();
        input.append("bogus");
        let input = input.finish();
        let columns: [ColumnRef<'_>; 1] = [input.as_ref()];
        let out = registry.call("MASK_EMAIL", Batch { rows: 3, args: 1, columns: &columns }).unwrap();
        let result = StrView::new(out.columns[0].as_ref()).unwrap();
        assert_eq!(result.iter().collect::<Vec<_>>(), [Some("b**@example.com"), None, None]);
        assert_eq!(out.row_errors, [RowError { row: 2, message: "not an e-mail address: no '@'".into() }]);
    }
}
