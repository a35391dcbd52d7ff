//! URL functions: ksqlDB's `URL_*` family. A URL is split as `java.net.URI` splits
//! it (RFC 3986: `scheme:[//[userinfo@]host[:port]]path[?query][#fragment]`), and
//! the parts come back as `URI`'s getters give them: the path, query and fragment
//! percent-decoded, `URL_EXTRACT_PARAMETER`'s value raw (so it can be passed to
//! `URL_DECODE_PARAM`). A part that is absent is NULL. Parameter encoding is
//! `application/x-www-form-urlencoded`, as Java's `URLEncoder` / `URLDecoder` do it.

use wasp_sql::DataType;

use super::{check_args, each_row, each_str, Builtin};

const S: DataType = DataType::String;
const I: DataType = DataType::Int;

/// The parts of a URL, borrowed from it (not decoded).
#[derive(Debug, Default, PartialEq)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

/// Splits `url` (RFC 3986, section 3), or says why it is not a URL.
fn split(url: &str) -> Result<Parts<'_>, String> {
    if url.is_empty() {
        return Err("an empty URL".into());
    }
    if let Some(bad) = url.chars().find(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
    }) {
        return Err(format!("illegal character {bad:?} in URL {url:?}"));
    }
    let mut parts = Parts::default();
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    parts.fragment = fragment;
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    parts.query = query;
    // A scheme: a letter, then letters, digits, '+', '-', '.', up to the first ':'
    // that comes before any '/'.
    let mut rest = rest;
    if let Some(colon) = rest.find(':') {
        let candidate = &rest[..colon];
        let is_scheme = candidate.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && candidate.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if is_scheme {
            parts.scheme = Some(candidate);
            rest = &rest[colon + 1..];
        } else if !candidate.contains('/') {
            return Err(format!("illegal scheme {candidate:?} in URL {url:?}"));
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        parts.path = &after[end..];
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        // A port is the digits after the last ':' (not inside an IPv6 literal).
        match hostport.rfind(':').filter(|&i| !hostport[i..].contains(']')) {
            Some(i) => {
                let port = &hostport[i + 1..];
                if !port.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!("illegal port {port:?} in URL {url:?}"));
                }
                parts.port = (!port.is_empty()).then_some(port);
                parts.host = Some(&hostport[..i]);
            }
            None => parts.host = Some(hostport),
        }
        parts.host = parts.host.filter(|h| !h.is_empty());
    } else {
        parts.path = rest;
    }
    Ok(parts)
}

/// Percent-decoding (`%XX` as UTF-8 bytes); `+` becomes a space when `plus_is_space`.
fn decode(s: &str, plus_is_space: bool) -> Result<String, String> {
    if !s.contains(['%', '+']) {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(byte) = byte else {
                    return Err(format!("malformed escape at position {} of {s:?}", i + 1));
                };
                out.push(byte);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} decodes to bytes that are not UTF-8"))
}

/// `application/x-www-form-urlencoded`: letters, digits and `.-*_` stay, a space is
/// `+`, every other byte of the UTF-8 text is `%XX` (upper-case hex).
fn encode_param(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.clear();
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            b => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// The raw value of query parameter `name`: the first `name=value` pair of the
/// query; a pair without `=` has no value (NULL).
fn parameter<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| match pair.split_once('=') {
        Some((k, v)) if k == name => Some(v),
        _ => None,
    })
}

/// A `URL_EXTRACT_*` function of one STRING argument returning a STRING part.
macro_rules! extract {
    ($name:literal, $what:literal, |$parts:ident| $part:expr) => {
        Builtin {
            name: $name,
            category: "URL",
            description: concat!("The ", $what, " of a URL; NULL when it has none."),
            signatures: &[concat!($name, "(url STRING) -> STRING")],
            return_type: |args| check_args($name, args, &[S]).map(|_| S),
            eval: |args| {
                each_str(args, |url, out| {
                    let $parts = split(url)?;
                    if let Some(part) = $part {
                        out.push_str(&part);
                    }
                    Ok(())
                })
            },
        }
    };
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "URL_ENCODE_PARAM",
        category: "URL",
        description: "Encodes a string as a URL query parameter (application/x-www-form-urlencoded).",
        signatures: &["URL_ENCODE_PARAM(input STRING) -> STRING"],
        return_type: |args| check_args("URL_ENCODE_PARAM", args, &[S]).map(|_| S),
        eval: |args| {
            let mut buf = String::new();
            each_str(args, |s, out| {
                encode_param(s, &mut buf);
                out.push_str(&buf);
                Ok(())
            })
        },
    },
    Builtin {
        name: "URL_DECODE_PARAM",
        category: "URL",
        description: "Decodes a URL query parameter (application/x-www-form-urlencoded: %XX escapes, + as a space).",
        signatures: &["URL_DECODE_PARAM(input STRING) -> STRING"],
        return_type: |args| check_args("URL_DECODE_PARAM", args, &[S]).map(|_| S),
        eval: |args| {
            each_str(args, |s, out| {
                out.push_str(&decode(s, true)?);
                Ok(())
            })
        },
    },
    Builtin {
        name: "URL_EXTRACT_PARAMETER",
        category: "URL",
        description:
            "The value of a query parameter of a URL, not decoded; NULL when the parameter is absent or has no value.",
        signatures: &["URL_EXTRACT_PARAMETER(url STRING, parameter STRING) -> STRING"],
        return_type: |args| check_args("URL_EXTRACT_PARAMETER", args, &[S, S]).map(|_| S),
        eval: |args| {
            let urls = args.args[0].strs();
            let names = args.args[1].strs();
            each_row(args, |row, out| {
                if let (Some(url), Some(name)) = (urls.get(row), names.get(row)) {
                    if let Some(v) = split(url)?.query.and_then(|q| parameter(q, name)) {
                        out.push_str(v);
                    }
                }
                Ok(())
            })
        },
    },
    extract!("URL_EXTRACT_FRAGMENT", "fragment (after '#', decoded)", |p| p
        .fragment
        .map(|f| decode(f, false))
        .transpose()?),
    extract!("URL_EXTRACT_HOST", "host", |p| p.host),
    extract!("URL_EXTRACT_PATH", "path (decoded; empty when there is none)", |p| Some(decode(p.path, false)?)),
    extract!("URL_EXTRACT_PROTOCOL", "protocol (scheme)", |p| p.scheme),
    extract!("URL_EXTRACT_QUERY", "query (after '?', decoded)", |p| p.query.map(|q| decode(q, false)).transpose()?),
    Builtin {
        name: "URL_EXTRACT_PORT",
        category: "URL",
        description: "The port of a URL; NULL when it names none.",
        signatures: &["URL_EXTRACT_PORT(url STRING) -> INT"],
        return_type: |args| check_args("URL_EXTRACT_PORT", args, &[S]).map(|_| I),
        eval: |args| {
            each_str(args, |url, out| {
                if let Some(port) = split(url)?.port {
                    out.push_i32(port.parse().map_err(|_| format!("port {port} of {url:?} is out of range"))?);
                }
                Ok(())
            })
        },
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::Value;

    use super::super::testing::*;
    use super::*;

    const N: Value = Value::Null;

    #[test]
    fn urls_split_as_java_splits_them() {
        let p = split("https://ann@confluent.io:8080/nested/path?q=2&r#frag").unwrap();
        assert_eq!(
            p,
            Parts {
                scheme: Some("https"),
                host: Some("confluent.io"),
                port: Some("8080"),
                path: "/nested/path",
                query: Some("q=2&r"),
                fragment: Some("frag")
            }
        );
        let p = split("www.confluent.io").unwrap();
        assert_eq!((p.scheme, p.host, p.path), (None, None, "www.confluent.io"));
        let p = split("http://www.test.com?query#fragment").unwrap();
        assert_eq!((p.host, p.path, p.query), (Some("www.test.com"), "", Some("query")));
        assert!(split("http://a b").unwrap_err().contains("illegal character"));
        assert!(split("http://host:80x/").unwrap_err().contains("illegal port"));
    }

    #[test]
    fn extract_functions() {
        let u = "http://test@confluent.io:8080/nested/a%20b?one=a&two=url%20encoded&three#frag%21";
        assert_eq!(call("URL_EXTRACT_HOST", vec![s(u)]), s("confluent.io"));
        assert_eq!(call("URL_EXTRACT_PORT", vec![s(u)]), Value::Int(8080));
        assert_eq!(call("URL_EXTRACT_PORT", vec![s("http://test@confluent.io")]), N);
        assert_eq!(call("URL_EXTRACT_PATH", vec![s(u)]), s("/nested/a b"));
        assert_eq!(call("URL_EXTRACT_PATH", vec![s("http://www.test.com?query")]), s(""));
        assert_eq!(call("URL_EXTRACT_PROTOCOL", vec![s(u)]), s("http"));
        assert_eq!(call("URL_EXTRACT_PROTOCOL", vec![s("www.confluent.io")]), N);
        assert_eq!(call("URL_EXTRACT_QUERY", vec![s(u)]), s("one=a&two=url encoded&three"));
        assert_eq!(call("URL_EXTRACT_QUERY", vec![s("http://h/path")]), N);
        assert_eq!(call("URL_EXTRACT_FRAGMENT", vec![s(u)]), s("frag!"));
        assert_eq!(call("URL_EXTRACT_FRAGMENT", vec![s("http://www.nofragment.com")]), N);
        assert_eq!(call("URL_EXTRACT_PARAMETER", vec![s(u), s("two")]), s("url%20encoded"));
        assert_eq!(call("URL_EXTRACT_PARAMETER", vec![s(u), s("three")]), N);
        assert_eq!(call("URL_EXTRACT_PARAMETER", vec![s(u), s("four")]), N);
    }

    #[test]
    fn parameters_encode_and_decode_as_forms_do() {
        assert_eq!(call("URL_ENCODE_PARAM", vec![s("?foo $bar")]), s("%3Ffoo+%24bar"));
        assert_eq!(call("URL_ENCODE_PARAM", vec![s("hello&world")]), s("hello%26world"));
        assert_eq!(call("URL_ENCODE_PARAM", vec![s("naïve.-*_")]), s("na%C3%AFve.-*_"));
        assert_eq!(call("URL_DECODE_PARAM", vec![s("%3Ffoo+%24bar")]), s("?foo $bar"));
        assert_eq!(call("URL_DECODE_PARAM", vec![s("na%C3%AFve")]), s("naïve"));
        assert_eq!(call("URL_DECODE_PARAM", vec![s("nothing")]), s("nothing"));
        assert_eq!(call("URL_DECODE_PARAM", vec![N]), N);
    }

    #[test]
    fn a_malformed_url_is_a_row_error() {
        let (out, errors) = call_row("URL_EXTRACT_HOST", vec![s("http://a b/")]);
        assert_eq!(out, N);
        assert!(errors.errors[0].1.contains("illegal character"), "{:?}", errors.errors);
        let (out, errors) = call_row("URL_DECODE_PARAM", vec![s("100%")]);
        assert_eq!(out, N);
        assert!(errors.errors[0].1.contains("malformed escape"), "{:?}", errors.errors);
    }
}
