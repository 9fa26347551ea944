//! The emulator's git server: the real `git http-backend` behind a small CGI shim, so fetches
//! speak git's smart HTTP protocol exactly as against GitHub. The shim checks HTTP Basic auth
//! first (the password must be a known token: GitHub's `x-access-token:TOKEN`), answers 401
//! with `WWW-Authenticate: Basic` without it, 404 for unknown or deleted repositories, and logs
//! every request with what arrived. Faults ([`super::Fault`]) on `/git/...` paths answer a
//! status or a redirect instead.

use super::server::State;
use super::{FaultKind, GitLogged};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::Write;
use std::process::{Command, Stdio};

fn plain(status: u16, text: &str) -> Response {
    let mut r = Response::new(Body::from(text.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

pub(super) async fn serve(st: State, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let full = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let (authorization, content_type, content_encoding, git_protocol) = {
        let h = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            h("authorization"),
            h("content-type"),
            h("content-encoding"),
            h("git-protocol"),
        )
    };
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap_or_default();

    let (user, password) = match authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|d| String::from_utf8(d).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        }) {
        Some((u, p)) => (Some(u), Some(p)),
        None => (None, None),
    };

    // /git/{owner}/{name}.git/...
    let rest = path.trim_start_matches("/git/");
    let mut parts = rest.splitn(3, '/');
    let owner = parts.next().unwrap_or("").to_string();
    let name = parts
        .next()
        .unwrap_or("")
        .trim_end_matches(".git")
        .to_string();

    let (status, response) = {
        let mut w = st.world.lock().unwrap_or_else(|e| e.into_inner());
        let fault = w.take_fault(&method, &path, "");
        let repo = w
            .find_repo(&format!("{owner}/{name}"))
            .filter(|r| !r.deleted)
            .cloned();
        let valid = password
            .as_deref()
            .is_some_and(|p| w.tokens.iter().any(|t| t.token == p));
        let needs_auth = match &repo {
            Some(r) => r.private || r.internal || w.git_auth_public,
            None => true,
        };
        if let Some(kind) = fault {
            match kind {
                FaultKind::Status(s, m) => (s, Some(plain(s, &m))),
                FaultKind::Redirect(to) => {
                    let mut r = plain(302, "Found");
                    if let Ok(v) = HeaderValue::from_str(&to) {
                        r.headers_mut().insert(header::LOCATION, v);
                    }
                    (302, Some(r))
                }
                _ => (500, Some(plain(500, "not a git fault"))),
            }
        } else if needs_auth && !valid {
            let mut r = plain(401, "Authentication required");
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"GitHub\""),
            );
            (401, Some(r))
        } else if repo.is_none() {
            (404, Some(plain(404, "Repository not found")))
        } else {
            (0, None)
        }
    };
    let log = |status: u16| GitLogged {
        method: method.clone(),
        path: full.clone(),
        authorization: authorization.clone(),
        user: user.clone(),
        password: password.clone(),
        status,
    };
    if let Some(r) = response {
        st.world
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .git_log
            .push(log(status));
        return r;
    }

    let root = st
        .world
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .git_root
        .clone();
    let path_info = format!("/{owner}/{name}.git/{}", parts.next().unwrap_or(""));
    let cgi = {
        let method = method.clone();
        let user = user.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new("git");
            cmd.arg("http-backend")
                .env("GIT_PROJECT_ROOT", &root)
                .env("GIT_HTTP_EXPORT_ALL", "1")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", &root)
                .env("PATH_INFO", &path_info)
                .env("QUERY_STRING", &query)
                .env("REQUEST_METHOD", &method)
                .env("REMOTE_ADDR", "127.0.0.1")
                .env("CONTENT_LENGTH", body.len().to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if let Some(ct) = &content_type {
                cmd.env("CONTENT_TYPE", ct);
            }
            if let Some(ce) = &content_encoding {
                cmd.env("HTTP_CONTENT_ENCODING", ce);
            }
            if let Some(gp) = &git_protocol {
                cmd.env("GIT_PROTOCOL", gp);
            }
            if let Some(u) = &user {
                cmd.env("REMOTE_USER", u);
            }
            let mut child = cmd.spawn().expect("git http-backend starts");
            let mut stdin = child.stdin.take().expect("stdin");
            let feed = std::thread::spawn(move || {
                let _ = stdin.write_all(&body);
            });
            let out = child.wait_with_output().expect("git http-backend runs");
            let _ = feed.join();
            out
        })
        .await
        .expect("cgi thread")
    };
    let (status, response) = cgi_response(&cgi.stdout);
    st.world
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .git_log
        .push(log(status));
    response
}

/// A CGI answer (headers, blank line, body) as an HTTP response.
fn cgi_response(out: &[u8]) -> (u16, Response) {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((end, sep)) = split else {
        return (500, plain(500, "git http-backend gave no headers"));
    };
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut status = 200u16;
    let mut resp = Response::new(Body::from(out[end + sep..].to_vec()));
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("status") {
            status = v
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().append(name, value);
        }
    }
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, resp)
}
