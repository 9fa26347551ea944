//! `--format human`: findings grouped by secret, then a one-line summary. Colour only when
//! asked for or on a terminal without `NO_COLOR`.

use super::{Options, Report};
use crate::finding::{Details, Finding, History, Kind, Location};
use crate::outcome::{RepoEntry, RepoStatus, Why};
use crate::upstash::{AccountReport, FindingVerdict, Liveness, Ownership};
use crate::util::size::human_count;
use crate::util::text::plural_s;
use std::collections::BTreeSet;
use std::io::Write;

struct Paint(bool);

impl Paint {
    fn p(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold_red(&self, s: &str) -> String {
        self.p("1;31", s)
    }
    fn dim(&self, s: &str) -> String {
        self.p("2", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.p("36", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.p("33", s)
    }
}

pub(super) fn write(r: &Report<'_>, opts: Options, out: &mut dyn Write) -> std::io::Result<()> {
    let paint = Paint(opts.color);
    if let Some(account) = r.account {
        write_account_summary(r, account, &paint, out)?;
    }
    for f in r.findings {
        write_finding(f, &paint, opts, out)?;
        if let Some(v) = r.account.and_then(|a| a.get(&f.sha256)) {
            write_verdict(v, &paint, out)?;
        }
        writeln!(out)?;
    }
    if opts.verbose {
        for s in r.suppressed {
            let why = match &s.why {
                Why::Public(_) => "a published value, not a leak".to_string(),
                Why::Inline(None) => "marked upsweep:allow on its line".to_string(),
                Why::Inline(Some(r)) => format!("marked upsweep:allow on its line ({r})"),
                Why::Allowed(r) => format!("allowed in the config file ({r})"),
                Why::AllowedPlace(r) => {
                    format!("its place is allowed in the config file ({r})")
                }
                Why::Baseline(None) => "in the baseline".to_string(),
                Why::Baseline(Some(n)) => format!("in the baseline ({n})"),
            };
            let sha = match s.why {
                Why::Public(_) => String::new(),
                _ => format!(" sha256 {}", s.sha256),
            };
            writeln!(
                out,
                "{} {} at {}{sha}: {why}",
                paint.dim("suppressed"),
                s.what,
                s.at
            )?;
        }
    }
    if let Some(repos) = r.repositories {
        write_repositories(repos, opts, &paint, out)?;
    }
    writeln!(out, "{}", summary(r, &paint, opts.staged))
}

/// An audit's repositories: those that failed, with why (and with `--verbose` the skipped
/// ones), then the count of each status.
fn write_repositories(
    repos: &[RepoEntry],
    opts: Options,
    paint: &Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for e in repos {
        let shown = match e.status {
            RepoStatus::Failed => true,
            RepoStatus::Skipped => opts.verbose,
            _ => false,
        };
        if shown {
            let status = match e.status {
                RepoStatus::Failed => paint.bold_red("failed"),
                s => paint.dim(s.as_str()),
            };
            writeln!(
                out,
                "{status} {}: {}",
                e.name,
                e.reason.as_deref().unwrap_or("")
            )?;
        }
    }
    let count = |s: RepoStatus| repos.iter().filter(|e| e.status == s).count();
    let blobs: u64 = repos.iter().map(|e| e.new_blobs).sum();
    writeln!(
        out,
        "audited {} repositor{}: {} scanned ({} new blob{}), {} unchanged, {} skipped, {} failed",
        repos.len(),
        if repos.len() == 1 { "y" } else { "ies" },
        count(RepoStatus::Scanned),
        blobs,
        plural_s(blobs),
        count(RepoStatus::Unchanged),
        count(RepoStatus::Skipped),
        count(RepoStatus::Failed),
    )
}

fn write_finding(
    f: &Finding,
    paint: &Paint,
    opts: Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let facts = facts(f.kind, &f.details);
    let head = if facts.is_empty() {
        paint.bold_red(f.title())
    } else {
        format!(
            "{} {}",
            paint.bold_red(f.title()),
            paint.dim(&format!("({})", facts.join(", ")))
        )
    };
    writeln!(out, "{head}")?;
    writeln!(
        out,
        "  {} {}  {} {}  {} {}",
        paint.dim("preview"),
        f.preview(),
        paint.dim("sha256"),
        f.sha256,
        paint.dim("rule"),
        f.rule_id
    )?;
    if opts.show_secrets {
        writeln!(out, "  {} {}", paint.dim("secret"), f.secret)?;
    }
    for l in &f.locations {
        let mut line = match &l.repository {
            Some(repo) => format!(
                "  {} {}",
                paint.dim(&format!("[{repo}]")),
                paint.cyan(&format!("{}:{}:{}", l.path, l.line, l.column))
            ),
            None => format!(
                "  {}",
                paint.cyan(&format!("{}:{}:{}", l.path, l.line, l.column))
            ),
        };
        if let Some(v) = &l.context.variable {
            line.push_str(&format!("  {v}"));
        }
        if let Some(h) = &l.context.host {
            let agree = match l.context.host_agrees {
                Some(true) => " (matches the token)",
                Some(false) => " (does NOT match the token)",
                None => "",
            };
            line.push_str(&paint.dim(&format!("  host {h}{agree}")));
        }
        if let Some(e) = l.context.encoding {
            line.push_str(&paint.dim(&format!("  [{e}-encoded]")));
        }
        if let Some(c) = &l.commit {
            line.push_str(&paint.dim(&format!("  {}", commit_line(c, l))));
        }
        writeln!(out, "{line}")?;
        if let Some(url) = &l.url {
            writeln!(out, "    {}", paint.dim(url))?;
        }
    }
    if let Some(h) = &f.history {
        writeln!(
            out,
            "  {} {}",
            paint.dim("history"),
            history_line(f, h, paint)
        )?;
    }
    if f.browser_exposed() {
        writeln!(
            out,
            "  {}",
            paint.yellow("! assigned to a browser-exposed variable (NEXT_PUBLIC_ and the like): shipped to every visitor, even from a private repository")
        )?;
    }
    Ok(())
}

/// `commit e698953 by A <a@example.com> on 2026-11-29`.
fn commit_line(commit: &str, l: &Location) -> String {
    let mut s = format!("commit {}", super::short_commit(commit));
    if let Some(a) = l.author.as_deref().filter(|a| !a.is_empty()) {
        s.push_str(&format!(" by {a}"));
    }
    if let Some(d) = &l.date {
        s.push_str(&format!(" on {}", d.get(..10).unwrap_or(d)));
    }
    s
}

/// Where the secret entered history and whether it is still there.
fn history_line(f: &Finding, h: &History, paint: &Paint) -> String {
    let Some(first) = &h.introduced_in else {
        return "only in objects no commit reaches (left by a reset, an amend or a rebase); a clone does not get them, this repository's copies do".into();
    };
    let when = f
        .locations
        .iter()
        .find(|l| l.commit.as_deref() == Some(first.as_str()))
        .and_then(|l| l.date.as_deref())
        .map(|d| format!(" ({})", d.get(..10).unwrap_or(d)))
        .unwrap_or_default();
    let now = if h.in_head {
        paint.bold_red("still in HEAD")
    } else {
        match &h.removed_in {
            Some(c) => paint.yellow(&format!(
                "removed in {}, still in history: every clone has it",
                super::short_commit(c)
            )),
            None => {
                paint.yellow("not in HEAD, still in history (on another branch, a tag or a stash)")
            }
        }
    };
    format!("introduced in {}{when}; {now}", super::short_commit(first))
}

/// What matters first: which leaked credentials are the account's own and current.
fn write_account_summary(
    r: &Report<'_>,
    account: &AccountReport,
    paint: &Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // Leaked Developer API keys have a story of their own (below), not an ownership count.
    let by = |o: Ownership| -> Vec<&Finding> {
        r.findings
            .iter()
            .filter(|f| f.kind != Kind::DeveloperApiKey)
            .filter(|f| {
                account
                    .get(&f.sha256)
                    .is_some_and(|v| v.account.verdict == o)
            })
            .collect()
    };
    write_api_keys(r, account, paint, out)?;
    let owned = by(Ownership::Owned);
    let rotated = by(Ownership::OwnedRotated);
    let unknown = by(Ownership::Unknown);
    let not_owned = by(Ownership::NotOwned);
    if !owned.is_empty() {
        let n = owned.len();
        writeln!(
            out,
            "{}",
            paint.bold_red(&format!(
                "{n} leaked credential{} belong{} to your account and {} current{}:",
                plural_s(n as u64),
                if n == 1 { "s" } else { "" },
                if n == 1 { "is" } else { "are" },
                live_tally(&owned, account)
            ))
        )?;
        for f in &owned {
            let v = account.get(&f.sha256);
            let what = v
                .and_then(|v| v.account.resource.as_ref())
                .map(|res| match res.credential {
                    Some(c) => format!("{res} {c}"),
                    None => res.to_string(),
                })
                .unwrap_or_else(|| f.title().to_string());
            writeln!(out, "  {what}, found in {}", places(f))?;
        }
        writeln!(
            out,
            "  Rotate them now: upsweep revoke (dry run first), or the Upstash console."
        )?;
    }
    if !rotated.is_empty() {
        writeln!(
            out,
            "{} leaked credential{} of your account {} already been replaced (a stale leak: nothing works with {}){}.",
            rotated.len(),
            plural_s(rotated.len() as u64),
            if rotated.len() == 1 { "has" } else { "have" },
            if rotated.len() == 1 { "it" } else { "them" },
            live_tally(&rotated, account)
        )?;
    }
    if !not_owned.is_empty() {
        writeln!(
            out,
            "{} leaked credential{} not your account's{}.",
            not_owned.len(),
            if not_owned.len() == 1 { " is" } else { "s are" },
            live_tally(&not_owned, account)
        )?;
    }
    // Each group under its own reason: an incomplete inventory, a kind Upstash cannot list
    // (Developer API keys), no account configured...
    let mut reasons: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in &unknown {
        let Some(v) = account.get(&f.sha256) else {
            continue;
        };
        let why = v.account.reason.as_str();
        match reasons.iter_mut().find(|(r, _)| *r == why) {
            Some((_, group)) => group.push(f),
            None => reasons.push((why, vec![f])),
        }
    }
    for (why, group) in &reasons {
        writeln!(
            out,
            "{}",
            paint.yellow(&format!(
                "{} leaked credential{} could not be checked: {}{}.",
                group.len(),
                plural_s(group.len() as u64),
                why.trim_end_matches('.'),
                live_tally(group, account)
            ))
        )?;
    }
    writeln!(out)
}

/// What `--live` said of `group`: "; 1 of these still works, 2 no longer work" (for one
/// credential "; it still works"), or nothing when no live check ran.
fn live_tally(group: &[&Finding], account: &AccountReport) -> String {
    let mut counts = [0usize; 3];
    for f in group {
        if let Some(l) = account.get(&f.sha256).and_then(|v| v.live.as_ref()) {
            counts[match l.verdict {
                Liveness::Live => 0,
                Liveness::Dead => 1,
                Liveness::Unknown => 2,
            }] += 1;
        }
    }
    let words = [
        ("still works", "still work"),
        ("no longer works", "no longer work"),
        ("could not be tested", "could not be tested"),
    ];
    if group.len() == 1 {
        return counts
            .iter()
            .position(|&n| n == 1)
            .map(|i| format!("; it {}", words[i].0))
            .unwrap_or_default();
    }
    let parts: Vec<String> = counts
        .iter()
        .zip(words)
        .filter(|(n, _)| **n > 0)
        .enumerate()
        .map(|(i, (&n, (one, many)))| {
            let of = if i == 0 { " of these" } else { "" };
            format!("{n}{of} {}", if n == 1 { one } else { many })
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// Leaked Developer API keys: the story `upsweep revoke` tells too. Each needs a person in the
/// Upstash console until it is confirmed deleted (401).
fn write_api_keys(
    r: &Report<'_>,
    account: &AccountReport,
    paint: &Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use crate::upstash::apikey::{whose, CAN_DO};
    use crate::upstash::ApiKeyStatus;
    let emails: Vec<&str> = account.accounts.iter().map(|a| a.email.as_str()).collect();
    let (deleted, keys): (Vec<_>, Vec<_>) = r
        .findings
        .iter()
        .filter(|f| f.kind == Kind::DeveloperApiKey)
        .filter_map(|f| Some((f, account.get(&f.sha256)?.api_key.as_ref()?)))
        .partition(|(_, k)| k.status == ApiKeyStatus::Rejected);
    // Confirmed deleted: told once, in the summary, with nothing to do.
    if !deleted.is_empty() {
        let n = deleted.len();
        writeln!(
            out,
            "{n} leaked Developer API key{} no longer work{} (rejected with 401): nothing to do.",
            plural_s(n as u64),
            if n == 1 { "s" } else { "" }
        )?;
    }
    if keys.is_empty() {
        return Ok(());
    }
    let n = keys.len();
    writeln!(
        out,
        "{}",
        paint.bold_red(&format!(
            "{n} leaked Developer API key{} need{} a person in the Upstash console (no API can delete one):",
            plural_s(n as u64),
            if n == 1 { "s" } else { "" }
        ))
    )?;
    for (f, k) in &keys {
        writeln!(
            out,
            "  found in {}: {}",
            places(f),
            whose(k, false, &emails)
        )?;
    }
    writeln!(out, "  A working key can do {CAN_DO}.")?;
    writeln!(
        out,
        "  Delete it at https://console.upstash.com > Account > Management API (`upsweep revoke` \
         prints the steps), then `upsweep revoke --check-api-key` confirms it gets 401."
    )
}

/// "web/.env.local:3 and 2 commits" / "3 places".
fn places(f: &Finding) -> String {
    let first = &f.locations[0];
    let head = format!("{}:{}", first.path, first.line);
    let commits: BTreeSet<&str> = f
        .locations
        .iter()
        .filter_map(|l| l.commit.as_deref())
        .collect();
    let others = f.locations.len() - 1;
    if !commits.is_empty() {
        format!(
            "{head} ({} commit{})",
            commits.len(),
            plural_s(commits.len() as u64)
        )
    } else if others > 0 {
        format!("{head} and {others} other place{}", plural_s(others as u64))
    } else {
        head
    }
}

fn write_verdict(v: &FindingVerdict, paint: &Paint, out: &mut dyn Write) -> std::io::Result<()> {
    let a = &v.account;
    let text = match (&a.verdict, &a.resource) {
        (Ownership::Owned, Some(res)) => format!(
            "owned: {res}{}",
            res.credential.map(|c| format!(", {c}")).unwrap_or_default()
        ),
        (o, _) => format!("{}: {}", o.as_str(), a.reason),
    };
    let painted = match a.verdict {
        Ownership::Owned => paint.bold_red(&text),
        Ownership::Unknown => paint.yellow(&text),
        _ => text,
    };
    writeln!(out, "  {} {painted}", paint.dim("account"))?;
    if let Some(l) = &v.live {
        writeln!(
            out,
            "  {} {}: {}",
            paint.dim("live"),
            l.verdict.as_str(),
            l.reason
        )?;
    }
    if let Some(k) = &v.api_key {
        let status = serde_json::to_value(k.status)
            .ok()
            .and_then(|s| s.as_str().map(str::to_string))
            .unwrap_or_default();
        writeln!(out, "  {} {status}: {}", paint.dim("api key"), k.reason)?;
        for e in k.audit.iter().take(10) {
            writeln!(
                out,
                "    {} {} by {}{}",
                e.timestamp
                    .map(|t| crate::util::time::rfc3339(
                        t / if t > 10_000_000_000 { 1000 } else { 1 }
                    ))
                    .unwrap_or_default(),
                e.action,
                e.source,
                e.entity
                    .as_deref()
                    .map(|x| format!(" on {x}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// The decode's findings in words.
fn facts(kind: Kind, d: &Details) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(l) = d.layout {
        v.push(format!("{l} layout"));
    }
    if let Some(n) = d.database_number {
        v.push(format!("database #{n}"));
    }
    if let Some(id) = &d.database_id {
        v.push(format!("database id {id}"));
    }
    if d.exposes_password {
        v.push("also exposes the database password".into());
    }
    if let Some(ep) = &d.index_endpoint {
        v.push(format!("index {ep}"));
    }
    if d.product == Some("unknown") {
        v.push("Vector or Search: nothing nearby says which".into());
    }
    if let Some(pk) = d.password_kind {
        if kind == Kind::RedisUrl {
            v.push(format!("password is a {pk}"));
        }
    }
    if let Some(h) = &d.url_host {
        v.push(format!("host {h}"));
    }
    if let Some(e) = &d.email {
        v.push(format!("email beside it: {e}"));
    }
    v
}

/// The one-line summary, uncoloured: what `-o FILE` still says on standard error.
pub(super) fn summary_line(r: &Report<'_>, staged: bool) -> String {
    summary(r, &Paint(false), staged)
}

fn summary(r: &Report<'_>, paint: &Paint, staged: bool) -> String {
    let s = r.stats;
    let places: usize = r.findings.iter().map(|f| f.locations.len()).sum();
    let files: BTreeSet<&str> = r
        .findings
        .iter()
        .flat_map(|f| f.locations.iter().map(|l| l.path.as_str()))
        .collect();
    let baselined_only = r.findings.is_empty() && s.suppressed_baseline > 0;
    let mut parts = vec![if baselined_only {
        format!(
            "no new Upstash credentials ({} baselined)",
            s.suppressed_baseline
        )
    } else if r.findings.is_empty() {
        "no Upstash credentials found".to_string()
    } else {
        paint.bold_red(&format!(
            "{} {}credential{} in {} place{} ({} file{})",
            r.findings.len(),
            if staged { "staged " } else { "leaked " },
            plural_s(r.findings.len() as u64),
            places,
            plural_s(places as u64),
            files.len(),
            plural_s(files.len() as u64)
        ))
    }];
    let scanned = match s.git_commits {
        Some(c) => format!(
            "scanned {} blob{} of {} commit{}",
            human_count(s.files_scanned),
            plural_s(s.files_scanned),
            human_count(c),
            plural_s(c)
        ),
        None => format!(
            "scanned {} file{}",
            human_count(s.files_scanned),
            plural_s(s.files_scanned)
        ),
    };
    parts.push(format!(
        "{scanned} ({}) in {:.2} s",
        crate::util::size::human_bytes(s.bytes_scanned),
        s.duration_ms as f64 / 1000.0
    ));
    let a = &s.archives;
    if a.opened > 0 {
        parts.push(format!(
            "{} archive{} opened ({} entr{} scanned)",
            a.opened,
            plural_s(a.opened),
            a.entries_scanned,
            if a.entries_scanned == 1 { "y" } else { "ies" }
        ));
    }
    let left_out = a.skipped.total();
    if left_out > 0 {
        parts.push(format!(
            "{left_out} part{} of archives not scanned ({})",
            plural_s(left_out),
            a.skipped.summary()
        ));
    }
    // The account check's failures are errors too, but no input went unread for them.
    let account_failed = r.account.map_or(0, |a| a.problems.len() as u64);
    let unread = s.errors.saturating_sub(account_failed);
    if unread > 0 {
        parts.push(paint.bold_red(&format!(
            "{unread} input{} could not be read",
            plural_s(unread)
        )));
    }
    if account_failed > 0 {
        parts.push(paint.bold_red(&format!(
            "the account check failed ({account_failed} part{} of the inventory)",
            plural_s(account_failed)
        )));
    }
    if s.skipped_too_large > 0 {
        parts.push(format!(
            "{} file{} over --max-file-size skipped",
            s.skipped_too_large,
            plural_s(s.skipped_too_large)
        ));
    }
    if s.suppressed_public > 0 {
        parts.push(format!(
            "{} published dev-server value{} ignored",
            s.suppressed_public,
            plural_s(s.suppressed_public)
        ));
    }
    let accepted = [
        (s.suppressed_inline, "place", "marked upsweep:allow"),
        (s.suppressed_allowed, "secret", "allowed by the config file"),
        (
            s.suppressed_allowed_places,
            "place",
            "allowed by path and line in the config file",
        ),
        (s.suppressed_baseline, "secret", "in the baseline"),
        (s.skipped_by_config, "path", "skipped by skip-paths"),
    ];
    for (n, noun, why) in accepted {
        if n > 0 && !(baselined_only && why == "in the baseline") {
            parts.push(format!("{n} {noun}{} {why}", plural_s(n)));
        }
    }
    parts.join("; ")
}
