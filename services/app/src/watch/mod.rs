//! Watch-over on the box's screen. The ladder and its mails run in the box's
//! runtime (`engawa::watch`); what the resident sees — the safety check, the
//! settings page, away mode — is drawn by `view`, and its keys are handled
//! with the other screens in `App`.

pub mod view;
