// A Spark event log as Spark 3.5 writes it with rolling on (stacks/shared/spark-conf.ts): one
// folder per application holding its events files and an appstatus file; the smallest one Spark's
// History Server lists as a completed application.

/** Relative path → content of one application's rolling event log. */
export function eventLogFiles(appId: string, appName: string): Record<string, string> {
  const events = [
    { Event: "SparkListenerLogStart", "Spark Version": "3.5.3" },
    {
      Event: "SparkListenerApplicationStart",
      "App Name": appName,
      "App ID": appId,
      Timestamp: 1796636720000,
      User: "admin",
    },
    { Event: "SparkListenerApplicationEnd", Timestamp: 1796636780000 },
  ];
  return {
    [`eventlog_v2_${appId}/events_1_${appId}`]: `${events.map((event) => JSON.stringify(event)).join("\n")}\n`,
    [`eventlog_v2_${appId}/appstatus_${appId}`]: "",
  };
}
