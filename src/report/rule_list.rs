//! `upsweep rules list`: every rule with its id, kind, decoder and description, for people
//! (`human`) or tools (`json`).

use crate::rules::Rule;
use std::io::Write;

/// The formats of the rules list (`rules list --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Human,
    Json,
}

/// Write the list of `rules`.
pub(crate) fn write_rule_list(
    rules: &[Rule],
    format: ListFormat,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ListFormat::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "name": r.name, "kind": r.kind, "decoder": r.decoder.name(),
                        "structural": r.decoder.is_structural(),
                        "context": r.context.as_ref().map(|c| c.as_str()),
                        "description": r.description, "references": r.references, "source": r.source,
                        "examples": r.examples.len(), "negative_examples": r.negative_examples.len(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *w, &v)?;
            writeln!(w)
        }
        ListFormat::Human => {
            for r in rules {
                writeln!(w, "{}  [{}]  decoder {}", r.id, r.kind, r.decoder.name())?;
                writeln!(w, "    {}", r.name)?;
                for line in textwrap(&r.description, 92) {
                    writeln!(w, "    {line}")?;
                }
                writeln!(
                    w,
                    "    {} examples, {} negative examples, from {}",
                    r.examples.len(),
                    r.negative_examples.len(),
                    r.source
                )?;
                writeln!(w)?;
            }
            writeln!(w, "{} rules", rules.len())
        }
    }
}

fn textwrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
