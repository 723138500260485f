// The shared run registry: with Consul configured, every run publishes its record, so `burst
// list` on another machine (here: another BURST_HOME) shows it. Real Consul, real local burst.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { assertNoLeftovers, burst, makeRepo, runDirs, tempBurstHome, writeSpec } from "../helpers/burst.ts";

let consul: ConsulAgent;
before(async () => {
  consul = await startConsulAgent();
});
after(async () => {
  await consul.stop();
});

test("a run is recorded in Consul at every phase and listed from any machine", async () => {
  const burstHome = await tempBurstHome();
  const repo = await makeRepo({ "hello.sh": "echo hello from the registry test\n" });
  const spec = await writeSpec(`name: registry
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: hello.sh }
cluster: { workers: 0 }
results: s3://e2e-results/runs/
`);
  const result = await burst([spec], { burstHome, env: consul.env() });
  assert.equal(result.code, 0, result.stderr);
  const [runDir] = await runDirs(burstHome);
  assert.ok(runDir);
  const runId = runDir.split("/").pop() ?? "";

  const records = await consul.kv("burst-runs/");
  const record = JSON.parse(records.get(`burst-runs/${runId}`) ?? "{}");
  assert.equal(record.outcome, "succeeded");
  assert.equal(record.destroyed, true);
  assert.equal(record.name, "registry");
  assert.ok(record.host, "the record says which machine ran it");
  // Parameters are untouched: the registry lives beside them, not under burst/.
  assert.equal(
    [...(await consul.kv("burst/")).keys()].some((key) => key.includes(runId)),
    false,
  );

  const elsewhere = await tempBurstHome();
  const listed = await burst(["list", "--json"], { burstHome: elsewhere, env: consul.env() });
  assert.equal(listed.code, 0, listed.stderr);
  const rows = listed.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const row = rows.find((r) => r.runId === runId);
  assert.ok(row, `run ${runId} listed from another machine`);
  assert.equal(row.cluster, "destroyed");
  assert.equal(row.outcome, "succeeded");
  await assertNoLeftovers(runDir);
});
