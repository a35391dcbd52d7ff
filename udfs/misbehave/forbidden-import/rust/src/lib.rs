//! Misbehaving guest: `forbidden_import(address VARCHAR) RETURNS VARCHAR` opens a
//! TCP connection to `address` with `std::net`, which on wasm32-wasip2 makes the
//! component import `wasi:sockets` (tcp, network, ip-name-lookup, ...). A function
//! may not have the network: the host must refuse the module at `CREATE FUNCTION`
//! naming the import (or, if it links a stand-in, the connection must fail).
//! Per row: "connected" or the error, as a per-row error.

use std::net::TcpStream;

/// Connects to a TCP address; a sandbox must never let it.
#[wasp::udf]
pub fn forbidden_import(address: &str) -> Result<String, String> {
    match TcpStream::connect(address) {
        Ok(_) => Ok("connected".to_string()),
        Err(e) => Err(format!("connect {address}: {e}")),
    }
}

wasp::export!(forbidden_import);
