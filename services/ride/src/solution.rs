//! A solution file: `{"instance", "cost", "routes": [[node ids in visiting
//! order, depots omitted], …]}` — the shape of the files in
//! `shared/bench/darp/solutions/`. Other fields are ignored on reading.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    pub instance: String,
    pub cost: f64,
    pub routes: Vec<Vec<usize>>,
}

impl Solution {
    pub fn parse(text: &str) -> Result<Solution, String> {
        serde_json::from_str(text).map_err(|e| format!("line {}: {e}", e.line()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
