//! Rows the behaviour tests write.

use oos_store::{ExecutionRecord, TaskRecord};

pub fn execution(id: &str, status: &str, runnable: bool) -> ExecutionRecord {
    ExecutionRecord {
        id: id.into(),
        template_name: "t".into(),
        template_version: None,
        template_content: "{}".into(),
        parameters: "{}".into(),
        mode: "Automatic".into(),
        status: status.into(),
        status_message: String::new(),
        outputs: None,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        engine_state: "{}".into(),
        runnable,
        wake_ms: None,
        created_ms: 1,
        updated_ms: 1,
        start_ms: Some(1),
        end_ms: None,
    }
}

pub fn task(id: &str, execution_id: &str, seq: i64, status: &str) -> TaskRecord {
    TaskRecord {
        id: id.into(),
        execution_id: execution_id.into(),
        seq,
        task_name: format!("task{seq}"),
        task_action: "ACS::Sleep".into(),
        status: status.into(),
        status_message: String::new(),
        properties: Some("{}".into()),
        outputs: None,
        loop_item: None,
        loop_batch_number: None,
        parent_task_execution_id: None,
        child_execution_id: None,
        engine_state: "{}".into(),
        created_ms: 1,
        updated_ms: 1,
        start_ms: None,
        end_ms: None,
    }
}
