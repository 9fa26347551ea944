//! Small helpers every layer uses and none owns: how a path is shown and normalised, how a
//! time, a size and a counted word are written, how an I/O error reads, what the terminal shows while the user
//! waits. They depend on nothing else in the crate, so any
//! module may use them without making a circle.

pub(crate) mod io;
pub(crate) mod paths;
pub(crate) mod progress;
pub(crate) mod size;
pub(crate) mod text;
pub(crate) mod thread;
pub(crate) mod time;
