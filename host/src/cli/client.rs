//! The shell's HTTP client for the REST API.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde_json::{json, Value as Json};

/// What `/ksql` answered.
#[derive(Debug, Clone, PartialEq)]
pub enum KsqlAnswer {
    /// One entity per statement.
    Entities(Vec<Json>),
    /// An error body (`statement_error` or `generic_error`).
    Error(Json),
}

/// A client of one wasp (or ksqlDB) server.
#[derive(Debug, Clone)]
pub struct RestClient {
    http: reqwest::Client,
    base: String,
}

impl RestClient {
    pub fn new(server_url: &str) -> anyhow::Result<RestClient> {
        let base = server_url.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            anyhow::bail!("the server address must start with http:// (got {server_url})");
        }
        let http = reqwest::Client::builder().build().context("building the HTTP client")?;
        Ok(RestClient { http, base })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET /info`.
    pub async fn info(&self) -> anyhow::Result<Json> {
        let resp = self.http.get(format!("{}/info", self.base)).send().await.map_err(|e| self.unreachable(e))?;
        resp.json().await.context("reading /info")
    }

    /// `POST /ksql`.
    pub async fn ksql(&self, sql: &str, props: &BTreeMap<String, String>) -> anyhow::Result<KsqlAnswer> {
        let body = json!({"ksql": sql, "streamsProperties": props});
        let resp = self
            .http
            .post(format!("{}/ksql", self.base))
            .header("Accept", "application/vnd.ksql.v1+json")
            .header("Content-Type", "application/vnd.ksql.v1+json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let ok = resp.status().is_success();
        let status = resp.status();
        let text = resp.text().await.context("reading the /ksql answer")?;
        let json: Json = serde_json::from_str(&text)
            .with_context(|| format!("the server answered {status} with something that is not JSON: {text}"))?;
        match (ok, json) {
            (true, Json::Array(entities)) => Ok(KsqlAnswer::Entities(entities)),
            (true, other) => Ok(KsqlAnswer::Entities(vec![other])),
            (false, error) => Ok(KsqlAnswer::Error(error)),
        }
    }

    /// `POST /query-stream`, delimited. A query the server refused comes back as
    /// `Ok(Err(error body))`.
    pub async fn query_stream(
        &self,
        sql: &str,
        props: &BTreeMap<String, String>,
    ) -> anyhow::Result<Result<LineStream, Json>> {
        let body = json!({"sql": sql, "properties": props});
        let resp = self
            .http
            .post(format!("{}/query-stream", self.base))
            .header("Accept", "application/vnd.ksqlapi.delimited.v1")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let error = serde_json::from_str(&text).unwrap_or_else(|_| json!({"message": format!("{status}: {text}")}));
            return Ok(Err(error));
        }
        Ok(Ok(LineStream { resp, buffer: Vec::new(), eof: false }))
    }

    /// `POST /close-query`.
    pub async fn close_query(&self, query_id: &str) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/close-query", self.base))
            .body(json!({"queryId": query_id}).to_string())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        Ok(())
    }

    fn unreachable(&self, e: reqwest::Error) -> anyhow::Error {
        anyhow::anyhow!("could not reach the server at {}: {e}", self.base)
    }
}

/// The lines of a streaming answer.
pub struct LineStream {
    resp: reqwest::Response,
    buffer: Vec<u8>,
    eof: bool,
}

impl LineStream {
    /// The next line without its newline, or `None` at the end.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes already read stay in the buffer.
    pub async fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=pos).collect();
                return Ok(Some(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned()));
            }
            if self.eof {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                let line = std::mem::take(&mut self.buffer);
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            match self.resp.chunk().await.context("reading the query's rows")? {
                Some(chunk) => self.buffer.extend_from_slice(&chunk),
                None => self.eof = true,
            }
        }
    }
}
