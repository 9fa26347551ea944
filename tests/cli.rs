//! The command line: exit codes, inputs that must not break a scan, output options.
