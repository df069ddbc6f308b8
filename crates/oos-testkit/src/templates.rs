//! Templates several integration tests run: a loop of ECS StopInstance calls over `instanceIds`.

/// One `ACS::ExecuteAPI` StopInstance per item of the `instanceIds` parameter, `concurrency` at a time.
pub fn stop_instances_loop(concurrency: u32) -> String {
    format!(
        r"
FormatVersion: OOS-2019-06-01
Parameters:
  instanceIds: {{Type: List}}
Tasks:
- Name: stop
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{{{ instanceIds }}}}'
    RateControl: {{Mode: Concurrency, Concurrency: {concurrency}, MaxErrors: 0}}
  Properties:
    Service: ECS
    API: StopInstance
    Parameters: {{RegionId: cn-hangzhou, InstanceId: '{{{{ ACS::TaskLoopItem }}}}'}}
"
    )
}
