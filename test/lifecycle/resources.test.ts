import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ResourceOwner } from "../../src/lifecycle/resources.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A release that ends when the test says so. */
function gate(): { release: () => Promise<void>; finish: () => void } {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { release: () => done, finish };
}

describe("ResourceOwner: what a run acquired is released once, newest first", () => {
  test("releases newest first, each once, however many callers ask", async () => {
    const owner = new ResourceOwner();
    const released: string[] = [];
    owner.own("cluster", () => void released.push("cluster"));
    owner.own("ssh", () => void released.push("ssh"));
    owner.own("s3", () => void released.push("s3"));
    // The run's teardown and the crash guard ask at the same time: one release.
    await Promise.all([owner.release(() => {}), owner.release(() => {})]);
    await owner.release(() => {});
    assert.deepEqual(released, ["s3", "ssh", "cluster"]);
    assert.deepEqual(owner.held(), []);
  });

  test("a failing release is reported and the others still run", async () => {
    const owner = new ResourceOwner();
    const released: string[] = [];
    const errors: string[] = [];
    owner.own("cluster", () => void released.push("cluster"));
    owner.own("ssh", () => {
      throw new Error("socket already closed");
    });
    await owner.release((what, error) => errors.push(`${what}: ${(error as Error).message}`));
    assert.deepEqual(released, ["cluster"]);
    assert.deepEqual(errors, ["ssh: socket already closed"]);
  });

  test("what is being released still shows as held until its release ends (the second Ctrl-C lists it)", async () => {
    const owner = new ResourceOwner();
    const { release, finish } = gate();
    owner.own("the cluster", release);
    owner.own("the S3 client", () => {});
    const releasing = owner.release(() => {});
    await tick();
    assert.deepEqual(owner.held(), ["the cluster"]);
    finish();
    await releasing;
    assert.deepEqual(owner.held(), []);
  });

  test("something acquired after release began is released too (a phase still running when the crash guard released)", async () => {
    const owner = new ResourceOwner();
    const released: string[] = [];
    const { release, finish } = gate();
    owner.own("cluster", () => release().then(() => void released.push("cluster")));
    const releasing = owner.release(() => {});
    await tick();
    owner.own("ssh", () => void released.push("ssh"));
    finish();
    await releasing;
    await owner.release(() => {});
    assert.deepEqual(released.sort(), ["cluster", "ssh"]);
    assert.deepEqual(owner.held(), []);
  });
});
