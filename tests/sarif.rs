//! SARIF output validated against the published SARIF 2.1.0 schema.
