//! The emulator's REST API: routing, visibility, pagination, rate limits and faults. Requests
//! under `/git/` go to the git server (`git.rs`).

use super::{
    http_date, iso8601, now_secs, parse_iso8601, FaultKind, GhComment, GhIssue, GhRepo, GhToken,
    Logged, Shared, World,
};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

#[derive(Clone)]
pub(super) struct State {
    pub(super) world: Shared,
    /// `http://127.0.0.1:PORT`
    pub(super) base: String,
}

/// An answer before it becomes a response.
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    fn message(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
        )
    }
}

pub(super) async fn handle(
    axum::extract::State(st): axum::extract::State<State>,
    req: Request,
) -> Response {
    if req.uri().path().starts_with("/git/") {
        return super::git::serve(st, req).await;
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let full_path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let has_agent = req
        .headers()
        .get(header::USER_AGENT)
        .is_some_and(|v| !v.is_empty());
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();

    let mut w = st.world.lock().unwrap_or_else(|e| e.into_inner());
    let reply = if !has_agent {
        // GitHub refuses requests without a User-Agent.
        Reply::message(
            403,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        )
    } else {
        api(
            &mut w,
            &st.base,
            &method,
            &path,
            &query,
            authorization.as_deref(),
            &body,
        )
    };
    let answer = reply.body.to_string();
    w.log.push(Logged {
        method,
        path: full_path,
        authorization,
        status: reply.status,
        body,
        answer_bytes: answer.len(),
    });
    let now = w.now();
    drop(w);
    let mut resp = Response::new(Body::from(answer));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (k, v) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    // The emulator's clock, not the server's own (hyper adds a Date only when there is none).
    if let Ok(v) = HeaderValue::from_str(&http_date(now)) {
        h.insert(header::DATE, v);
    }
    resp
}

fn rate_headers(limit: u64, remaining: u64, reset: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        (
            "x-ratelimit-used",
            (limit - remaining.min(limit)).to_string(),
        ),
        ("x-ratelimit-resource", "core".to_string()),
    ]
}

fn api(
    w: &mut World,
    base: &str,
    method: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
    body: &str,
) -> Reply {
    // Faults first: they stand for what GitHub decides before looking at the request.
    if let Some(kind) = w.take_fault(method, path, query) {
        return match kind {
            FaultKind::Status(s, m) => Reply::message(s, &m),
            FaultKind::Secondary {
                status,
                retry_after,
            } => {
                let mut r = Reply::message(
                    status,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                if let Some(s) = retry_after {
                    r.headers.push(("retry-after", s.to_string()));
                }
                r
            }
            FaultKind::Primary { reset_in } => {
                let mut r = Reply::message(403, "API rate limit exceeded for user ID 1.");
                r.headers = rate_headers(5000, 0, now_secs() + reset_in);
                r
            }
            FaultKind::Redirect(to) => {
                let mut r = Reply::message(302, "Found");
                r.headers.push(("location", to));
                r
            }
        };
    }
    // The primary limit.
    let mut headers = rate_headers(5000, 4999, now_secs() + 3600);
    if let Some(rate) = &mut w.rate {
        let now = now_secs();
        if now >= rate.reset {
            rate.remaining = rate.limit;
            rate.reset = now + rate.window;
        }
        if rate.remaining == 0 {
            let mut r = Reply::message(403, "API rate limit exceeded for user ID 1.");
            r.headers = rate_headers(rate.limit, 0, rate.reset);
            return r;
        }
        rate.remaining -= 1;
        headers = rate_headers(rate.limit, rate.remaining, rate.reset);
    }
    // Who is asking.
    let token = auth.and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("token "))
            .map(str::trim)
    });
    let viewer: Option<GhToken> = match token {
        None => None,
        Some(t) => match w.tokens.iter().find(|k| k.token == t) {
            Some(k) => Some(k.clone()),
            None => {
                let mut r = Reply::message(401, "Bad credentials");
                r.headers = headers;
                return r;
            }
        },
    };
    let mut reply = route(w, base, method, path, query, viewer.as_ref(), body);
    reply.headers.extend(headers);
    reply
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn member(w: &World, org: &str, login: &str) -> bool {
    w.orgs
        .iter()
        .any(|(o, m)| o.eq_ignore_ascii_case(org) && m.iter().any(|x| x == login))
}

fn can_read(w: &World, r: &GhRepo, viewer: Option<&GhToken>) -> bool {
    if !r.private && !r.internal {
        return true;
    }
    let Some(v) = viewer else {
        return false;
    };
    v.login.eq_ignore_ascii_case(&r.owner)
        || member(w, &r.owner, &v.login)
        || r.collaborators.iter().any(|c| c == &v.login)
}

fn repo_json(base: &str, r: &GhRepo, w: &World) -> Value {
    let full = r.full_name();
    let empty = super::ref_count(&w.git_root, &r.owner, &r.name) == 0;
    let is_org = w.orgs.iter().any(|(o, _)| o == &r.owner);
    json!({
        "id": r.id,
        "node_id": format!("R_{}", r.id),
        "name": r.name,
        "full_name": full,
        "private": r.private || r.internal,
        "visibility": if r.internal { "internal" } else if r.private { "private" } else { "public" },
        "owner": {"login": r.owner, "id": 1, "type": if is_org { "Organization" } else { "User" }},
        "html_url": format!("{base}/{full}"),
        "url": format!("{base}/repos/{full}"),
        "clone_url": format!("{base}/git/{full}.git"),
        "description": null,
        "fork": r.fork,
        "archived": r.archived,
        "disabled": false,
        "size": if empty { 0 } else { 42 },
        "default_branch": r.default_branch,
        "pushed_at": "2025-01-01T00:00:00Z",
    })
}

fn issue_json(base: &str, i: &GhIssue) -> Value {
    let kind = if i.pull_request { "pull" } else { "issues" };
    let mut v = json!({
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": "open",
        "html_url": format!("{base}/{}/{kind}/{}", i.repo, i.number),
        "user": {"login": i.user},
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": iso8601(i.updated_at),
    });
    if i.pull_request {
        v["pull_request"] = json!({"url": format!("{base}/repos/{}/pulls/{}", i.repo, i.number)});
    }
    v
}

fn comment_json(base: &str, c: &GhComment) -> Value {
    let html_url = if c.review {
        format!("{base}/{}/pull/{}#discussion_r{}", c.repo, c.number, c.id)
    } else {
        format!(
            "{base}/{}/issues/{}#issuecomment-{}",
            c.repo, c.number, c.id
        )
    };
    json!({
        "id": c.id,
        "node_id": format!("IC_{}", c.id),
        "html_url": html_url,
        "body": c.body,
        "user": {"login": c.user},
        "issue_url": format!("{base}/repos/{}/issues/{}", c.repo, c.number),
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": iso8601(c.updated_at),
    })
}

/// What a listing's `since` asks for: `Ok(None)` without one, `Err` (422, as GitHub answers)
/// for one that is not `YYYY-MM-DDTHH:MM:SSZ`.
fn since(query: &str) -> Result<Option<u64>, Reply> {
    match param(query, "since") {
        None => Ok(None),
        Some(v) => parse_iso8601(&v.replace("%3A", ":").replace("%3a", ":"))
            .map(Some)
            .ok_or_else(|| Reply::message(422, "Validation Failed")),
    }
}

/// One page of `items` as `per_page`/`page` ask, and the `Link` header.
fn paginate(
    items: Vec<Value>,
    link_base: &str,
    path: &str,
    query: &str,
) -> (Vec<Value>, Option<String>) {
    let per_page = param(query, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = param(query, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let out: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let others: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page=") && !kv.starts_with("per_page="))
        .collect();
    let url = |p: usize| {
        let mut q = others.clone().join("&");
        if !q.is_empty() {
            q.push('&');
        }
        format!("<{link_base}{path}?{q}per_page={per_page}&page={p}>")
    };
    let mut rels = Vec::new();
    if page > 1 {
        rels.push(format!("{}; rel=\"prev\"", url(page - 1)));
        rels.push(format!("{}; rel=\"first\"", url(1)));
    }
    if page < last {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url(last)));
    }
    (out, (!rels.is_empty()).then(|| rels.join(", ")))
}

fn listing(w: &World, base: &str, items: Vec<Value>, path: &str, query: &str) -> Reply {
    let link_base = w.link_base.clone().unwrap_or_else(|| base.to_string());
    let (page, link) = paginate(items, &link_base, path, query);
    let mut r = Reply::json(200, Value::Array(page));
    if let Some(l) = link {
        r.headers.push(("link", l));
    }
    r
}

fn route(
    w: &mut World,
    base: &str,
    method: &str,
    path: &str,
    query: &str,
    viewer: Option<&GhToken>,
    body: &str,
) -> Reply {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["user"]) => match viewer {
            Some(v) => Reply::json(200, json!({"login": v.login, "id": 1, "type": "User"})),
            None => Reply::message(401, "Requires authentication"),
        },
        ("GET", ["user", "repos"]) => {
            let Some(v) = viewer else {
                return Reply::message(401, "Requires authentication");
            };
            let aff =
                param(query, "affiliation").unwrap_or("owner,collaborator,organization_member");
            let items = w
                .repos
                .iter()
                .filter(|r| {
                    aff.split(',').any(|a| match a {
                        "owner" => r.owner == v.login,
                        "collaborator" => r.collaborators.contains(&v.login),
                        "organization_member" => member(w, &r.owner, &v.login),
                        _ => false,
                    })
                })
                .map(|r| repo_json(base, r, w))
                .collect();
            listing(w, base, items, path, query)
        }
        ("GET", ["orgs", org, "repos"]) => {
            if !w.orgs.iter().any(|(o, _)| o.eq_ignore_ascii_case(org)) {
                return Reply::message(404, "Not Found");
            }
            let kind = param(query, "type").unwrap_or("all");
            let items = w
                .repos
                .iter()
                .filter(|r| r.owner.eq_ignore_ascii_case(org) && can_read(w, r, viewer))
                .filter(|r| match kind {
                    "public" => !r.private && !r.internal,
                    "private" => r.private,
                    "forks" => r.fork,
                    "sources" => !r.fork,
                    _ => true,
                })
                .map(|r| repo_json(base, r, w))
                .collect();
            listing(w, base, items, path, query)
        }
        ("GET", ["users", user, "repos"]) => {
            let known = w.users.iter().any(|u| u.eq_ignore_ascii_case(user))
                || w.tokens.iter().any(|t| t.login.eq_ignore_ascii_case(user));
            if !known {
                return Reply::message(404, "Not Found");
            }
            let items = w
                .repos
                .iter()
                .filter(|r| r.owner.eq_ignore_ascii_case(user) && !r.private && !r.internal)
                .map(|r| repo_json(base, r, w))
                .collect();
            listing(w, base, items, path, query)
        }
        (_, ["repos", o, n, rest @ ..]) => {
            let full = format!("{o}/{n}");
            let visible = w
                .find_repo(&full)
                .filter(|r| !r.deleted && can_read(w, r, viewer))
                .cloned();
            let Some(repo) = visible else {
                return Reply::message(404, "Not Found");
            };
            let full = repo.full_name();
            repo_route(
                w, base, method, path, query, viewer, body, &repo, &full, rest,
            )
        }
        _ => Reply::message(404, "Not Found"),
    }
}

#[allow(clippy::too_many_arguments)]
fn repo_route(
    w: &mut World,
    base: &str,
    method: &str,
    path: &str,
    query: &str,
    viewer: Option<&GhToken>,
    body: &str,
    repo: &GhRepo,
    full: &str,
    rest: &[&str],
) -> Reply {
    match (method, rest) {
        ("GET", []) => Reply::json(200, repo_json(base, repo, w)),
        ("GET", ["issues"]) => {
            let since = match since(query) {
                Ok(s) => s.unwrap_or(0),
                Err(r) => return r,
            };
            let items = w
                .issues
                .iter()
                .filter(|i| i.repo == full && i.updated_at >= since)
                .map(|i| issue_json(base, i))
                .collect();
            listing(w, base, items, path, query)
        }
        ("GET", ["issues", "comments"]) => {
            let since = match since(query) {
                Ok(s) => s.unwrap_or(0),
                Err(r) => return r,
            };
            let items = w
                .comments
                .iter()
                .filter(|c| c.repo == full && !c.review && c.updated_at >= since)
                .map(|c| comment_json(base, c))
                .collect();
            listing(w, base, items, path, query)
        }
        ("GET", ["pulls", "comments"]) => {
            let since = match since(query) {
                Ok(s) => s.unwrap_or(0),
                Err(r) => return r,
            };
            let items = w
                .comments
                .iter()
                .filter(|c| c.repo == full && c.review && c.updated_at >= since)
                .map(|c| comment_json(base, c))
                .collect();
            listing(w, base, items, path, query)
        }
        ("GET", ["issues", num, "comments"]) => {
            let Ok(num) = num.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            if !w.issues.iter().any(|i| i.repo == full && i.number == num) {
                return Reply::message(404, "Not Found");
            }
            let items = w
                .comments
                .iter()
                .filter(|c| c.repo == full && c.number == num && !c.review)
                .map(|c| comment_json(base, c))
                .collect();
            listing(w, base, items, path, query)
        }
        ("POST", ["issues", num, "comments"]) => {
            if let Some(r) = refuse_write(viewer) {
                return r;
            }
            let Ok(num) = num.parse::<u64>() else {
                return Reply::message(404, "Not Found");
            };
            if !w.issues.iter().any(|i| i.repo == full && i.number == num) {
                return Reply::message(404, "Not Found");
            }
            let Some(text) = body_text(body) else {
                return Reply::message(422, "Validation Failed");
            };
            let id = w.next_id();
            let c = GhComment {
                id,
                repo: full.to_string(),
                number: num,
                body: text,
                user: viewer.map(|v| v.login.clone()).unwrap_or_default(),
                review: false,
                updated_at: w.now(),
            };
            let v = comment_json(base, &c);
            w.comments.push(c);
            Reply::json(201, v)
        }
        ("PATCH", ["issues", "comments", id]) => {
            if let Some(r) = refuse_write(viewer) {
                return r;
            }
            let Some(text) = body_text(body) else {
                return Reply::message(422, "Validation Failed");
            };
            let id = id.parse::<u64>().unwrap_or(0);
            let now = w.now();
            match w
                .comments
                .iter_mut()
                .find(|c| c.id == id && c.repo == full && !c.review)
            {
                Some(c) => {
                    c.body = text;
                    c.updated_at = now;
                    let c = c.clone();
                    Reply::json(200, comment_json(base, &c))
                }
                None => Reply::message(404, "Not Found"),
            }
        }
        _ => Reply::message(404, "Not Found"),
    }
}

fn refuse_write(viewer: Option<&GhToken>) -> Option<Reply> {
    match viewer {
        None => Some(Reply::message(401, "Requires authentication")),
        Some(v) if v.read_only => Some(Reply::message(
            403,
            "Resource not accessible by integration",
        )),
        Some(_) => None,
    }
}

fn body_text(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v.get("body")?.as_str().map(str::to_string)
}
