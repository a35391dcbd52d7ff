//! Request bodies: parsing them, their properties and session variables, and the
//! `Accept` header.

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::api::RequestProperties;

use super::errors::ApiError;

/// `application/vnd.ksqlapi.delimited.v1`: newline-delimited JSON, the default of the
/// streaming endpoints.
pub const DELIMITED_CONTENT_TYPE: &str = "application/vnd.ksqlapi.delimited.v1";
/// `application/vnd.ksql.v1+json`: what the ksql CLI and older clients ask of `/ksql`.
pub const KSQL_V1_JSON: &str = "application/vnd.ksql.v1+json";

/// Parses a JSON request body, whatever its content type claims, into `T`.
///
/// Malformed JSON and missing or mistyped fields answer 400 with code 40000.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("Request body is empty; expected a JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::bad_request(format!("Invalid request: {e}")),
        _ => ApiError::bad_request(format!("Invalid JSON in request: {e}")),
    })
}

/// Properties from a request (`streamsProperties`, `properties`) as strings: strings as
/// they are, numbers and booleans printed, lists joined with commas, nulls dropped.
pub fn properties(map: Option<&Map<String, Json>>) -> RequestProperties {
    let mut props = RequestProperties::new();
    for (k, v) in map.into_iter().flatten() {
        if let Some(s) = property_text(v) {
            props.insert(k.clone(), s);
        }
    }
    props
}

fn property_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        Json::Array(items) => Some(items.iter().filter_map(property_text).collect::<Vec<_>>().join(",")),
        other => Some(other.to_string()),
    }
}

/// Replaces `${name}` with the session variable `name` (case-insensitive), as ksqlDB
/// does with the `sessionVariables` of a request. Unknown variables stay as written.
pub fn substitute_variables(sql: &str, variables: Option<&Map<String, Json>>) -> String {
    let Some(vars) = variables.filter(|v| !v.is_empty()) else {
        return sql.to_string();
    };
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let value = vars.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| property_text(v));
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The response format a streaming endpoint should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// One JSON document per line (the default).
    Delimited,
    /// One JSON array holding everything.
    JsonArray,
}

impl StreamFormat {
    /// Delimited unless the client asks for `application/json` and not for delimited.
    pub fn from_headers(headers: &HeaderMap) -> StreamFormat {
        let accept =
            headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
        if accept.contains(DELIMITED_CONTENT_TYPE) || !accept.contains("application/json") {
            StreamFormat::Delimited
        } else {
            StreamFormat::JsonArray
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            StreamFormat::Delimited => DELIMITED_CONTENT_TYPE,
            StreamFormat::JsonArray => "application/json",
        }
    }
}

/// The content type of a `/ksql` answer: the ksql v1 type when the client asked for it.
pub fn ksql_content_type(headers: &HeaderMap) -> &'static str {
    let wants_v1 =
        headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains(KSQL_V1_JSON));
    if wants_v1 {
        KSQL_V1_JSON
    } else {
        "application/json"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_become_strings() {
        let m = json!({"a": "x", "b": 3, "c": true, "d": null, "e": ["p", "q"]});
        let p = properties(m.as_object());
        assert_eq!(p.get("a").map(String::as_str), Some("x"));
        assert_eq!(p.get("b").map(String::as_str), Some("3"));
        assert_eq!(p.get("c").map(String::as_str), Some("true"));
        assert!(!p.contains_key("d"));
        assert_eq!(p.get("e").map(String::as_str), Some("p,q"));
    }

    #[test]
    fn variables_are_substituted() {
        let vars = json!({"topic": "t1", "N": 3});
        assert_eq!(
            substitute_variables("SELECT * FROM ${TOPIC} LIMIT ${n} ${missing} ${", vars.as_object()),
            "SELECT * FROM t1 LIMIT 3 ${missing} ${"
        );
        assert_eq!(substitute_variables("x ${a}", None), "x ${a}");
    }

    #[test]
    fn accept_header_picks_the_format() {
        let mut h = HeaderMap::new();
        assert_eq!(StreamFormat::from_headers(&h), StreamFormat::Delimited);
        h.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert_eq!(StreamFormat::from_headers(&h), StreamFormat::JsonArray);
        h.insert(header::ACCEPT, DELIMITED_CONTENT_TYPE.parse().unwrap());
        assert_eq!(StreamFormat::from_headers(&h), StreamFormat::Delimited);
    }

    #[test]
    fn bad_bodies_are_400() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)] // reason: only parsed
        struct R {
            ksql: String,
        }
        assert_eq!(parse_body::<R>(b"{").unwrap_err().body["error_code"], 40000);
        assert_eq!(parse_body::<R>(b"{}").unwrap_err().body["error_code"], 40000);
        assert_eq!(parse_body::<R>(b"").unwrap_err().status, 400);
        assert!(parse_body::<R>(br#"{"ksql":"x"}"#).is_ok());
    }
}
