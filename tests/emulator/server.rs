//! The emulator's server side: the connection gate (where a `Reset` fault cuts the socket
//! before HTTP parsing), the axum handler, and the routes of each emulated service, chosen by
//! the `Host` header.

use super::{ApiKey, Db, FaultKind, IndexRec, Logged, Owner, QstashRec, Shared, World};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Hands accepted connections to axum, after resetting those a `Reset` fault matches.
pub(super) struct Gate {
    pub(super) rx: mpsc::Receiver<(TcpStream, SocketAddr)>,
    pub(super) addr: SocketAddr,
}

impl axum::serve::Listener for Gate {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        match self.rx.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

pub(super) async fn gatekeeper(
    listener: TcpListener,
    tx: mpsc::Sender<(TcpStream, SocketAddr)>,
    world: Shared,
) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let tx = tx.clone();
        let world = world.clone();
        tokio::spawn(async move {
            if let Some(head) = peek_head(&stream).await {
                let reset = {
                    let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
                    let (path, query) = match head.target.split_once('?') {
                        Some((p, q)) => (p.to_string(), q.to_string()),
                        None => (head.target.clone(), String::new()),
                    };
                    let hit = w.take_fault(&head.method, &head.host, &path, true);
                    if let Some(FaultKind::ActThen(_)) = &hit {
                        // The server acts, then the connection is cut: the answer is lost.
                        let _ = route(
                            &mut w,
                            &head.method,
                            &head.host,
                            &path,
                            &query,
                            head.authorization.as_deref(),
                        );
                    }
                    if hit.is_some() {
                        w.log.push(Logged {
                            method: head.method.clone(),
                            host: head.host.clone(),
                            path: head.target.clone(),
                            status: 0,
                            user: basic_user(head.authorization.as_deref()),
                            authorization: head.authorization.clone(),
                        });
                    }
                    hit.is_some()
                };
                if reset {
                    let _ = stream.set_zero_linger();
                    drop(stream);
                    return;
                }
            }
            let _ = tx.send((stream, peer)).await;
        });
    }
}

/// The head of the request waiting on a fresh connection.
struct Head {
    method: String,
    host: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
}

/// The head of the request waiting on a fresh connection, without consuming it.
async fn peek_head(stream: &TcpStream) -> Option<Head> {
    let mut buf = vec![0u8; 16 * 1024];
    let started = Instant::now();
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        if let Some(end) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let mut first = lines.next()?.split(' ');
            let method = first.next()?.to_string();
            let target = first.next()?.to_string();
            let fields: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(':')).collect();
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            };
            return Some(Head {
                method,
                host: field("host").map(|h| strip_port(&h)).unwrap_or_default(),
                target,
                authorization: field("authorization"),
            });
        }
        if n == buf.len() || started.elapsed() > Duration::from_secs(2) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn strip_port(h: &str) -> String {
    let h = h.trim().to_ascii_lowercase();
    if let Some(v6) = h.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_string();
    }
    h.split(':').next().unwrap_or("").to_string()
}

/// An answer before it becomes a response.
enum Reply {
    Json(u16, Value),
    Text(u16, String),
    Raw(u16, &'static str, String),
}

pub(super) async fn handle(State(world): State<Shared>, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(strip_port)
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    let full_path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let query = req.uri().query().unwrap_or("").to_string();
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let fault = world
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take_fault(&method, &host, &path, false);
    let mut retry_after = None;
    // ActThen: the request is served first, then the inner fault applies.
    let (fault, after) = match fault {
        Some(FaultKind::ActThen(inner)) => (None, Some(*inner)),
        f => (f, None),
    };
    let forced = match fault {
        Some(FaultKind::Status(code, body)) => Some(Reply::Text(code, body)),
        Some(FaultKind::RateLimited { retry_after: ra }) => {
            retry_after = ra;
            Some(Reply::Json(429, json!({"error": "Too many requests"})))
        }
        Some(FaultKind::Malformed) => Some(Reply::Raw(
            200,
            "application/json",
            r#"[{"database_id": "x", "#.to_string(),
        )),
        Some(FaultKind::Slow(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(FaultKind::Reset) | Some(FaultKind::ActThen(_)) | None => None,
    };

    let (status, content_type, body, hold) = {
        let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
        let user = basic_user(authorization.as_deref());
        let mut reply = match forced {
            Some(r) => r,
            None => route(
                &mut w,
                &method,
                &host,
                &path,
                &query,
                authorization.as_deref(),
            ),
        };
        let mut hold = None;
        match after {
            Some(FaultKind::Status(code, body)) => reply = Reply::Text(code, body),
            Some(FaultKind::Malformed) => {
                reply = Reply::Raw(200, "application/json", r#"{"database_id": "#.to_string())
            }
            Some(FaultKind::Slow(d)) => hold = Some(d),
            Some(FaultKind::RateLimited { retry_after: ra }) => {
                retry_after = ra;
                reply = Reply::Json(429, json!({"error": "Too many requests"}));
            }
            _ => {}
        }
        let (status, content_type, body) = match reply {
            Reply::Json(s, v) => (s, "application/json", v.to_string()),
            Reply::Text(s, t) => (s, "text/plain; charset=utf-8", t),
            Reply::Raw(s, ct, b) => (s, ct, b),
        };
        w.log.push(Logged {
            method,
            host,
            path: full_path,
            status,
            user,
            authorization,
        });
        (status, content_type, body, hold)
    };
    if let Some(d) = hold {
        // Made and logged; the answer waits (a client may be killed meanwhile).
        tokio::time::sleep(d).await;
    }
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if let Some(ra) = retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(ra));
    }
    resp
}

fn basic_user(auth: Option<&str>) -> Option<String> {
    let b64 = auth?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    Some(decoded.split_once(':')?.0.to_string())
}

fn bearer(auth: Option<&str>, query: &str) -> Option<String> {
    if let Some(t) = auth.and_then(|a| a.strip_prefix("Bearer ")) {
        return Some(t.trim().to_string());
    }
    query
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix("_token=")
                .or(kv.strip_prefix("qstash_token="))
        })
        .map(str::to_string)
}

fn route(
    w: &mut World,
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
) -> Reply {
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host == "localhost";
    if host == "api.upstash.com" || is_ip {
        return developer_api(w, method, path, query, auth);
    }
    if !host.ends_with(".upstash.io") {
        return Reply::Text(421, format!("misdirected request for {host}"));
    }
    let label = host.split('.').next().unwrap_or("");
    if label.starts_with("qstash") {
        return qstash_api(w, method, host, path, auth, query);
    }
    let token = bearer(auth, query);
    if let Some(slug) = label
        .strip_suffix("-vector")
        .or(label.strip_suffix("-search"))
    {
        if path != "/info" {
            return Reply::Json(404, json!({"error": "not found"}));
        }
        let list = if label.ends_with("-vector") {
            &w.vector
        } else {
            &w.search
        };
        return match list.iter().find(|i| i.slug == slug) {
            None => Reply::Json(404, json!({"error": "index not found"})),
            Some(ix)
                if token.as_deref() == Some(&ix.token)
                    || token.as_deref() == Some(&ix.read_only_token) =>
            {
                Reply::Json(
                    200,
                    json!({"result": {"vectorCount": 0, "pendingVectorCount": 0, "indexSize": 0, "dimension": 384, "similarityFunction": "COSINE"}}),
                )
            }
            Some(_) => Reply::Json(401, json!({"error": "Unauthorized: Invalid auth token"})),
        };
    }
    // A Redis database's REST API.
    if path != "/ping" {
        return Reply::Json(404, json!({"error": "only /ping is emulated"}));
    }
    match w.databases.iter().find(|d| d.host == host) {
        None => Reply::Json(404, json!({"error": "database not found"})),
        Some(d)
            if token.as_deref() == Some(&d.rest_token)
                || token.as_deref() == Some(&d.read_only_rest_token) =>
        {
            Reply::Json(200, json!({"result": "PONG"}))
        }
        Some(_) => Reply::Json(
            401,
            json!({"error": "WRONGPASS invalid or missing auth token"}),
        ),
    }
}

fn qstash_api(
    w: &mut World,
    method: &str,
    host: &str,
    path: &str,
    auth: Option<&str>,
    query: &str,
) -> Reply {
    let region = match host
        .strip_prefix("qstash-")
        .and_then(|h| h.strip_suffix(".upstash.io"))
    {
        Some(r) => r.to_string(),
        None => "eu-central-1".to_string(),
    };
    let token = bearer(auth, query).unwrap_or_default();
    let full = w
        .qstash
        .iter()
        .position(|q| q.region == region && q.token == token);
    let read = w
        .qstash
        .iter()
        .position(|q| q.region == region && (q.token == token || q.read_only_token == token));
    let unauthorized = Reply::Text(401, "Unauthorized".to_string());
    match (method, path) {
        ("GET", "/v2/keys") => match full {
            Some(i) => Reply::Json(200, keys_json(&w.qstash[i])),
            None => unauthorized,
        },
        ("POST", "/v2/keys/rotate") => match full {
            Some(i) => {
                w.rotate_signing_keys(i);
                Reply::Json(200, keys_json(&w.qstash[i]))
            }
            None => unauthorized,
        },
        ("GET", "/v2/queues") => match read {
            Some(_) => Reply::Json(200, json!([])),
            None => unauthorized,
        },
        _ => Reply::Json(404, json!({"error": "not found"})),
    }
}

fn keys_json(q: &QstashRec) -> Value {
    json!({"current": q.current_signing_key, "next": q.next_signing_key})
}

fn developer_api(
    w: &mut World,
    method: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
) -> Reply {
    let key = match authenticate(w, auth) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let owner = key.owner.clone();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let hide = query.split('&').any(|kv| kv == "credentials=hide");
    let not_found = |what: &str| Reply::Json(404, json!({"error": format!("{what} not found")}));
    let is_write = method == "POST";
    if is_write && key.read_only {
        return Reply::Json(
            403,
            json!({"error": "Readonly API key can not perform this operation"}),
        );
    }
    let source = format!("API_KEY - {}", key.name);
    match (method, segs.as_slice()) {
        ("GET", ["v2", "teams"]) => Reply::Json(
            200,
            Value::Array(
                w.teams
                    .iter()
                    .filter(|t| t.members.contains(&key.email))
                    .map(|t| json!({"team_id": t.id, "team_name": t.name, "copy_cc": false}))
                    .collect(),
            ),
        ),
        ("GET", ["v2", "redis", "databases"]) => {
            let creds = !w.list_without_credentials;
            let ro = !w.omit_read_only_tokens;
            Reply::Json(
                200,
                Value::Array(
                    w.databases
                        .iter()
                        .filter(|d| d.owner == owner)
                        .map(|d| db_json(d, creds, ro))
                        .collect(),
                ),
            )
        }
        ("GET", ["v2", "redis", "database", id]) => {
            match w.databases.iter().find(|d| d.owner == owner && d.id == *id) {
                Some(d) => Reply::Json(200, db_json(d, !hide, !w.omit_read_only_tokens)),
                None => not_found("database"),
            }
        }
        ("POST", ["v2", "redis", "reset-password", id]) => {
            match w
                .databases
                .iter()
                .position(|d| d.owner == owner && d.id == *id)
            {
                Some(i) => {
                    w.reset_database(i);
                    let name = w.databases[i].name.clone();
                    w.audit_entry(&owner, "Reset Password", &source, &name);
                    Reply::Json(
                        200,
                        db_json(&w.databases[i], true, !w.omit_read_only_tokens),
                    )
                }
                None => not_found("database"),
            }
        }
        ("GET", ["v2", "vector", "index"]) => Reply::Json(200, index_list(&w.vector, &owner)),
        ("GET", ["v2", "vector", "index", id]) => {
            match w.vector.iter().find(|i| i.owner == owner && i.id == *id) {
                Some(ix) => Reply::Json(200, index_json(ix)),
                None => not_found("index"),
            }
        }
        ("POST", ["v2", "vector", "index", id, "reset-password"]) => {
            match w
                .vector
                .iter()
                .position(|i| i.owner == owner && i.id == *id)
            {
                Some(i) => {
                    w.reset_vector(i);
                    let name = w.vector[i].name.clone();
                    w.audit_entry(&owner, "Reset Vector Index Password", &source, &name);
                    Reply::Json(200, json!("OK"))
                }
                None => not_found("index"),
            }
        }
        ("GET", ["v2", "search"]) => Reply::Json(200, index_list(&w.search, &owner)),
        ("GET", ["v2", "search", id]) => {
            match w.search.iter().find(|i| i.owner == owner && i.id == *id) {
                Some(ix) => Reply::Json(200, index_json(ix)),
                None => not_found("index"),
            }
        }
        ("POST", ["v2", "search", id, "reset-password"]) => {
            match w
                .search
                .iter()
                .position(|i| i.owner == owner && i.id == *id)
            {
                Some(i) => {
                    w.reset_search(i);
                    let name = w.search[i].name.clone();
                    w.audit_entry(&owner, "Reset Search Index Password", &source, &name);
                    Reply::Json(200, json!("OK"))
                }
                None => not_found("index"),
            }
        }
        ("GET", ["v2", "qstash", "users"]) => Reply::Json(
            200,
            Value::Array(
                w.qstash
                    .iter()
                    .filter(|q| q.owner == owner)
                    .map(qstash_json)
                    .collect(),
            ),
        ),
        ("GET", ["v2", "qstash", "user", id]) => {
            match w.qstash.iter().find(|q| q.owner == owner && q.id == *id) {
                Some(q) => Reply::Json(200, qstash_json(q)),
                None => not_found("qstash user"),
            }
        }
        ("POST", ["v2", "qstash", "rotate-token", id]) => {
            match w
                .qstash
                .iter()
                .position(|q| q.owner == owner && q.id == *id)
            {
                Some(i) => {
                    w.rotate_qstash_token(i);
                    let region = w.qstash[i].region.clone();
                    w.audit_entry(&owner, "Rotate QStash Token", &source, &region);
                    Reply::Json(200, qstash_json(&w.qstash[i]))
                }
                None => not_found("qstash user"),
            }
        }
        ("GET", ["auditlogs"]) => Reply::Json(
            200,
            Value::Array(
                w.audit
                    .iter()
                    .filter(|a| a.owner == owner)
                    .enumerate()
                    .map(|(i, a)| {
                        json!({
                            "log_id": format!("log-{i}"),
                            "customer_id": a.owner.customer_id(),
                            "actor": key.email,
                            "timestamp": a.timestamp,
                            "action": 13,
                            "action_string": a.action,
                            "source": a.source,
                            "entity": a.entity,
                            "secondary_entity": "NA",
                            "third_entity": "",
                            "ip": a.ip,
                        })
                    })
                    .collect(),
            ),
        ),
        _ => Reply::Text(404, "404 page not found".to_string()),
    }
}

fn authenticate(w: &World, auth: Option<&str>) -> Result<ApiKey, Reply> {
    let unauthorized = || Reply::Text(401, "Unauthorized".to_string());
    let b64 = auth
        .and_then(|a| a.strip_prefix("Basic "))
        .ok_or_else(unauthorized)?;
    let decoded = STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthorized)?;
    let (email, key) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let found = w
        .keys
        .iter()
        .find(|k| k.email == email && k.key == key)
        .ok_or_else(unauthorized)?;
    if let Some(platform) = w
        .users
        .iter()
        .find(|u| u.email == email)
        .and_then(|u| u.platform.clone())
    {
        return Err(Reply::Json(
            403,
            json!({"error": format!("This account was created through {platform}; the Developer API is not available for it")}),
        ));
    }
    Ok(found.clone())
}

/// A database as the API answers; `read_only` includes `read_only_rest_token` with the rest.
fn db_json(d: &Db, credentials: bool, read_only: bool) -> Value {
    let endpoint = if d.legacy {
        d.host.clone()
    } else {
        d.host.trim_end_matches(".upstash.io").to_string()
    };
    let mut v = json!({
        "database_id": d.id,
        "database_name": d.name,
        "region": "global",
        "primary_region": d.region,
        "port": 6379,
        "creation_time": 1_752_649_602,
        "state": "active",
        "endpoint": endpoint,
        "tls": true,
        "type": "payg",
        "customer_id": d.owner.customer_id(),
        "db_max_clients": 10000,
        "read_regions": [],
        "securityAddons": {"ipWhitelisting": false},
    });
    if credentials {
        v["password"] = json!(d.password);
        v["rest_token"] = json!(d.rest_token);
        if read_only {
            v["read_only_rest_token"] = json!(d.read_only_rest_token);
        }
    }
    v
}

fn index_list(list: &[IndexRec], owner: &Owner) -> Value {
    Value::Array(
        list.iter()
            .filter(|i| &i.owner == owner)
            .map(index_json)
            .collect(),
    )
}

fn index_json(ix: &IndexRec) -> Value {
    json!({
        "customer_id": ix.owner.customer_id(),
        "id": ix.id,
        "name": ix.name,
        "similarity_function": "COSINE",
        "dimension_count": 384,
        "endpoint": ix.slug,
        "token": ix.token,
        "read_only_token": ix.read_only_token,
        "type": "payg",
        "region": ix.region,
        "creation_time": 1_753_207_106,
        "index_type": "DENSE",
    })
}

fn qstash_json(q: &QstashRec) -> Value {
    json!({
        "customer_id": q.owner.customer_id(),
        "id": q.id,
        "token": q.token,
        "read_only_token": q.read_only_token,
        "active": true,
        "state": "active",
        "type": "free",
        "region": q.region,
        "max_requests_per_day": 1000,
        "prometheus_enabled": "false",
    })
}
