//! Snapshot tests of what `upsweep revoke` prints, human and JSON: a plan with every section,
//! and the results of a run stopped by Ctrl-C after settling an earlier run's action. Built by
//! hand, so the snapshots are stable (no times, no random ids).

use super::execute::{ActionResult, Execution, NewValues, Status, Stop};
use super::journal::{Pending, PendingWhy};
use super::json::{self, Mode};
use super::leak::{LeftOut, LeftOutWhy};
use super::plan::{Action, ActionKind, ApiKeyLeak, Leaked, Note, Plan};
use super::print::{self, Ending, PlanContext};
use super::resume::Settled;
use crate::finding::Kind;
use crate::upstash::{ApiKeyStatus, AuditEntry, Credential, Ownership, Product, Resource};
use std::path::Path;

fn resource(product: Product, id: &str, name: Option<&str>, region: &str) -> Resource {
    Resource {
        product,
        id: id.to_string(),
        name: name.map(str::to_string),
        region: Some(region.to_string()),
        endpoint: Some(match product {
            Product::Qstash => format!("qstash-{region}.upstash.io"),
            _ => format!("{}-12345.upstash.io", name.unwrap_or("x")),
        }),
        credential: None,
        account: "ops@example.com".to_string(),
        account_key: "1a2b3c4d".to_string(),
        team: None,
    }
}

fn leaked(hex: char, kind: Kind, credential: Credential, place: &str) -> Leaked {
    Leaked {
        sha256: hex.to_string().repeat(64),
        also: None,
        kind,
        credential,
        places: vec![place.to_string()],
    }
}

fn actions() -> Vec<Action> {
    vec![
        Action {
            kind: ActionKind::ResetRedis,
            resource: resource(Product::Redis, "db-0001", Some("prod-cache"), "eu-west-1"),
            leaked: vec![
                leaked(
                    'a',
                    Kind::RedisRestToken,
                    Credential::ReadWriteToken,
                    "web/.env:2",
                ),
                leaked(
                    'b',
                    Kind::RedisRestTokenReadonly,
                    Credential::ReadOnlyToken,
                    "web/.env:3",
                ),
            ],
            prior_rotations: 0,
        },
        Action {
            kind: ActionKind::RotateQstashToken,
            resource: resource(Product::Qstash, "q-0001", None, "eu-central-1"),
            leaked: vec![leaked(
                'c',
                Kind::QstashToken,
                Credential::ReadWriteToken,
                "worker/.env:1",
            )],
            prior_rotations: 0,
        },
        Action {
            kind: ActionKind::RotateSigningKeys,
            resource: resource(Product::Qstash, "q-0001", None, "eu-central-1"),
            leaked: vec![leaked(
                'd',
                Kind::QstashSigningKey,
                Credential::NextSigningKey,
                "worker/.env:2",
            )],
            prior_rotations: 0,
        },
    ]
}

fn plan() -> Plan {
    let mut vector = Action {
        kind: ActionKind::ResetVector,
        resource: resource(Product::Vector, "ix-0001", Some("embeddings"), "us-east-1"),
        leaked: vec![leaked(
            'e',
            Kind::VectorToken,
            Credential::ReadWriteToken,
            "ml/.env:1",
        )],
        prior_rotations: 0,
    };
    vector.resource.endpoint = Some("embeddings-us1-vector.upstash.io".into());
    Plan {
        actions: actions(),
        deselected: vec![vector],
        api_keys: vec![
            ApiKeyLeak {
                sha256: "f".repeat(64),
                places: vec!["deploy/terraform.tfvars:4".into()],
                status: ApiKeyStatus::Works,
                email: Some("ops@example.com".into()),
                whose: "a key of ops@example.com, a configured account: it WORKS (GET /v2/teams \
                        succeeded)"
                    .into(),
                reason: "GET /v2/teams as ops@example.com succeeded".into(),
                configured: false,
                audit: vec![AuditEntry {
                    account: "ops@example.com".into(),
                    timestamp: Some(1_764_000_060),
                    action: "Create Database".into(),
                    source: "API_KEY - ci-deploy".into(),
                    entity: Some("cache".into()),
                    ip: Some("203.0.113.7".into()),
                }],
            },
            ApiKeyLeak {
                sha256: "9".repeat(64),
                places: vec!["old/.env:1".into()],
                status: ApiKeyStatus::Rejected,
                email: None,
                whose: "rejected (401) with every email tried: deleted, or another email's key"
                    .into(),
                reason: "rejected (401) as ops@example.com".into(),
                configured: false,
                audit: Vec::new(),
            },
        ],
        no_action: vec![Note {
            sha256: "1".repeat(64),
            kind: Kind::RedisRestToken,
            places: vec!["docs/example.env:1".into()],
            verdict: Ownership::OwnedRotated,
            reason: "already rotated: it names Redis database 'sessions' (eu-west-1)".into(),
            resource: None,
        }],
        not_actionable: vec![Note {
            sha256: "2".repeat(64),
            kind: Kind::SearchToken,
            places: vec!["search/.env:1".into()],
            verdict: Ownership::Unknown,
            reason: "the Search index list could not be fetched: 503".into(),
            resource: None,
        }],
        problems: Vec::new(),
    }
}

fn left_out() -> Vec<LeftOut> {
    vec![
        LeftOut {
            sha256: "3".repeat(64),
            kind: "redis-rest-token".into(),
            places: vec!["demo/.env:1".into()],
            why: LeftOutWhy::Allowed("the public demo database".into()),
        },
        LeftOut {
            sha256: "4".repeat(64),
            kind: "qstash-token".into(),
            places: vec!["vendor/sdk/test.env:9".into()],
            why: LeftOutWhy::SkipPaths,
        },
    ]
}

fn pending() -> Vec<Pending> {
    let mut a = actions().remove(0);
    a.resource = resource(Product::Redis, "db-0002", Some("old-queue"), "eu-west-1");
    vec![Pending {
        why: PendingWhy::Unsettled,
        action: a,
        before: Vec::new(),
        step: 1,
        steps: 1,
        run: "20261201T120000Z-4242-beef".into(),
        time: "2026-12-01T12:00:03Z".into(),
        had_file: true,
    }]
}

fn context<'a>(left: &'a [LeftOut], pending: &'a [Pending]) -> PlanContext<'a> {
    PlanContext {
        source: ".",
        left_out: left,
        config_file: Some(".upsweep.toml"),
        pending,
        journal: Some(Path::new("/home/ops/.cache/upsweep/revoke/journal.jsonl")),
    }
}

fn result(status: Status, rotations: u8, message: &str) -> ActionResult {
    let mut r = ActionResult::new(status, message);
    r.rotations = rotations;
    r.total_rotations = rotations;
    r.saved = NewValues::Saved;
    r
}

/// A run that settled an earlier action, rotated the database and the QStash token (not yet
/// confirmed), and was stopped by Ctrl-C before the signing keys.
fn execution() -> (Vec<Settled>, Execution) {
    let mut settled_r = result(
        Status::Rotated,
        1,
        "the interrupted rotation was made; its new values are saved now",
    );
    settled_r.total_rotations = 1;
    let settled = vec![Settled {
        action: pending().remove(0).action,
        result: settled_r,
        run: "20261201T120000Z-4242-beef".into(),
        time: "2026-12-01T12:00:03Z".into(),
    }];
    let mut unconfirmed = result(
        Status::Unconfirmed,
        1,
        "rotated, not yet confirmed: QStash (eu-central-1) could not be read again (server \
         error 503 after 4 attempt(s)); the new values from Upstash's answer are saved",
    );
    unconfirmed.error = Some("server error 503 after 4 attempt(s)".into());
    unconfirmed.advice = Some(
        "re-run `upsweep revoke`: it reads each resource first (and saves any new values it is \
         missing), and rotates nothing twice"
            .into(),
    );
    let exec = Execution {
        results: vec![
            (
                0,
                result(
                    Status::Rotated,
                    1,
                    "rotated; checked: no leaked credential is current",
                ),
            ),
            (1, unconfirmed),
        ],
        left: vec![2],
        stop: Some(Stop::Signal(130)),
    };
    (settled, exec)
}

fn text(f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    f(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn the_plan_human() {
    let (p, l, pe) = (plan(), left_out(), pending());
    insta::assert_snapshot!(text(|w| print::plan(w, &p, &context(&l, &pe))));
}

#[test]
fn the_results_human() {
    let p = plan();
    let (settled, exec) = execution();
    let out = text(|w| {
        print::settled(w, &settled)?;
        writeln!(w, "\nRotating:")?;
        for (n, (i, r)) in exec.results.iter().enumerate() {
            print::result(w, n + 1, &p.actions[*i], r)?;
        }
        print::summary(
            w,
            &Ending {
                results: &exec.results,
                settled: &settled,
                left: exec.left.iter().map(|i| &p.actions[*i]).collect(),
                stop: exec.stop.as_ref(),
                new_credentials: Some(Path::new("new.env")),
                journal: Path::new("/home/ops/.cache/upsweep/revoke/journal.jsonl"),
                api_keys: p.pending_api_keys(),
            },
        )
    });
    insta::assert_snapshot!(out);
}

#[test]
fn the_plan_and_results_json() {
    let (p, l, pe) = (plan(), left_out(), pending());
    let cx = context(&l, &pe);
    let dry = json::run(".", &p, &cx, Mode::DryRun, None, &p.actions, 1);
    insta::assert_snapshot!("plan_json", serde_json::to_string_pretty(&dry).unwrap());
    let (settled, exec) = execution();
    let ending = Ending {
        results: &exec.results,
        settled: &settled,
        left: exec.left.iter().map(|i| &p.actions[*i]).collect(),
        stop: exec.stop.as_ref(),
        new_credentials: Some(Path::new("new.env")),
        journal: Path::new("/home/ops/.cache/upsweep/revoke/journal.jsonl"),
        api_keys: p.pending_api_keys(),
    };
    let run = json::run(".", &p, &cx, Mode::Rotate, Some(&ending), &p.actions, 130);
    insta::assert_snapshot!("results_json", serde_json::to_string_pretty(&run).unwrap());
}
