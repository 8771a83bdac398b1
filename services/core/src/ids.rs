//! Typed identifiers, so a reminder id can never be passed where an occurrence id
//! is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A reminder the resident set up (a rule), as stored on the box.
    ReminderId
);
id_type!(
    /// One due instance of a reminder ("お薬 on 25 Nov at 8:00").
    OccurrenceId
);
