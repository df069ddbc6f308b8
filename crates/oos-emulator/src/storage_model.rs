//! Disk settings beyond the basic disk model (performance level, charge type, automatic
//! snapshots), automatic snapshot policies, and the ECS tasks of image export and import.

use serde::{Deserialize, Serialize};

use crate::model::Tags;

/// Settings of one disk that ModifyDiskSpec, ModifyDiskAttribute, ModifyDiskChargeType and the
/// automatic snapshot policy actions change; a disk without an entry has the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSettings {
    /// `PL0`…`PL3` for `cloud_essd`, empty for other categories (then the category default).
    #[serde(default)]
    pub performance_level: String,
    /// `PostPaid` or `PrePaid`.
    pub disk_charge_type: String,
    /// The applied automatic snapshot policy, empty when none.
    #[serde(default)]
    pub auto_snapshot_policy_id: String,
    pub enable_auto_snapshot: bool,
    pub delete_auto_snapshot: bool,
    #[serde(default)]
    pub bursting_enabled: bool,
}

impl Default for DiskSettings {
    fn default() -> Self {
        Self {
            performance_level: String::new(),
            disk_charge_type: "PostPaid".into(),
            auto_snapshot_policy_id: String::new(),
            enable_auto_snapshot: true,
            delete_auto_snapshot: true,
            bursting_enabled: false,
        }
    }
}

/// An automatic snapshot policy (ECS `sp-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoSnapshotPolicy {
    pub auto_snapshot_policy_id: String,
    pub auto_snapshot_policy_name: String,
    pub region_id: String,
    /// JSON array text as sent, e.g. `["0","1"]` (hours, 0–23).
    pub time_points: String,
    /// JSON array text as sent, e.g. `["1","7"]` (weekdays, 1–7).
    pub repeat_weekdays: String,
    /// Days; -1 keeps the snapshots forever.
    pub retention_days: i64,
    pub enable_cross_region_copy: bool,
    pub target_copy_regions: String,
    pub copied_snapshots_retention_days: i64,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
}

/// An asynchronous ECS task (`t-…`) of ExportImage or ImportImage; it is `Processing` until
/// `finishes_at_ms` on the emulator's clock, then `Finished`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub task_id: String,
    /// `ExportImage` or `ImportImage`.
    pub task_action: String,
    pub region_id: String,
    /// The image the task works on.
    pub resource_id: String,
    pub creation_time: String,
    pub created_at_ms: i64,
    pub finishes_at_ms: i64,
    /// What the task reports about its work (`OSSBucket`, `OSSPrefix`…).
    pub related_items: Vec<(String, String)>,
}

impl Task {
    /// `Processing` or `Finished` at `now_ms`.
    pub fn status(&self, now_ms: i64) -> &'static str {
        if now_ms >= self.finishes_at_ms {
            "Finished"
        } else {
            "Processing"
        }
    }
}
