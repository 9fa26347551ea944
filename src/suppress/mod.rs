//! What a project accepts.

pub mod baseline;
pub mod paths;
