//! Detection accuracy: every kind planted in the files real repositories hold.
