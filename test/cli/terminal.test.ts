// component: the burst CLI as its own process, on a pseudo-terminal (util-linux script)
// On a real pseudo-terminal (util-linux `script`): colour and symbols when stderr is a terminal,
// none with NO_COLOR. A dry run on the local target: nothing is provisioned. (The confirmation
// prompt is asked only when a launch costs money: it is tested on the aws target against moto, in
// test/e2e/aws-moto.test.ts.)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeRepo, tempBurstHome, writeSpec } from "../helpers/burst.ts";
import { burstInTerminal } from "../helpers/terminal.ts";

async function dryRunSpec(): Promise<string> {
  const repo = await makeRepo({ "job.sh": "echo hi\n" });
  return writeSpec(`name: terminal
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: job.sh }
cluster: { workers: 0 }
results: s3://terminal/runs/
`);
}

describe("the CLI on a terminal", () => {
  test("colours and symbols on a terminal; none with NO_COLOR", async () => {
    const spec = await dryRunSpec();
    const burstHome = await tempBurstHome();

    const coloured = burstInTerminal([spec, "--dry-run"], { burstHome });
    assert.equal(await coloured.exited, 0, coloured.output());
    const greenTick = "\x1b[32m✔\x1b[0m validate";
    assert.ok(coloured.output().includes(greenTick), `a green tick for a phase that ended well:\n${coloured.output()}`);

    const plain = burstInTerminal([spec, "--dry-run"], { burstHome, env: { NO_COLOR: "1" } });
    assert.equal(await plain.exited, 0, plain.output());
    assert.ok(!plain.output().includes("\x1b["), `no escape sequence with NO_COLOR:\n${plain.output()}`);
    assert.match(plain.output(), /^ok validate/m);
  });
});
