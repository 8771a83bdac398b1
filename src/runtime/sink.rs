//! Where the runtime and the services' workers send their events: the
//! presenter's queue to the UI thread.

use std::sync::Arc;

use crate::app::Event;

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;
