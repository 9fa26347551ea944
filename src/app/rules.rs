//! `upsweep rules list` and `upsweep rules check`: show the rules, or lint a rule directory.

use super::{exit, write_report};
use crate::config::{RulesCheckSettings, RulesListSettings};
use crate::report;
use crate::rules::load;
use crate::scan::lint;
use anyhow::Result;

pub(super) fn list(s: &RulesListSettings) -> Result<u8> {
    let matcher = s.rules.matcher()?;
    write_report(&None, |w| {
        report::write_rule_list(&matcher.rules, s.format, w)
    })?;
    Ok(exit::CLEAN)
}

pub(super) fn check(s: &RulesCheckSettings) -> Result<u8> {
    let (own, context) = match &s.dir {
        None => (load::embedded()?, Vec::new()),
        Some(d) => (load::directory(d)?, load::embedded()?),
    };
    let problems = lint::lint(&own, &context);
    let what = s
        .dir
        .as_ref()
        .map_or("shipped rules".to_string(), |d| d.display().to_string());
    if problems.is_empty() {
        let n = own.len();
        let plural = crate::util::text::plural_s(n);
        write_report(&None, |w| {
            writeln!(w, "{what}: {n} rule{plural}, all checks pass")
        })?;
        return Ok(exit::CLEAN);
    }
    for p in &problems {
        eprintln!("upsweep: {p}");
    }
    eprintln!(
        "{what}: {} problem{}",
        problems.len(),
        crate::util::text::plural_s(problems.len())
    );
    Ok(exit::FOUND)
}
