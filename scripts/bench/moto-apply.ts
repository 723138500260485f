// Measured apply and destroy of the per-run SparkClusterStack with the real hashicorp/aws provider
// against a local moto_server, by worker count: does cluster creation stay flat in N? moto
// answers API calls without booting anything, so this measures terraform + provider + API round
// trips (the part burst controls), not EC2's own launch times (see the launch model for those).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheRoot } from "../../src/home.ts";
import { newKeyPair } from "../../src/remote/keys.ts";
import { awsProviderEnv, awsTerraformProvider } from "../../src/targets/aws/terraform-provider.ts";
import { ensureTerraform } from "../../src/terraform/binary.ts";
import { TerraformDriver } from "../../src/terraform/driver.ts";
import { providerInstallation } from "../../src/terraform/provider-installation.ts";
import type { SparkClusterProps } from "../../stacks/aws/spark-cluster-stack.ts";
import { type ClusterVpc, createClusterVpc, type MotoServer, motoRegion, startMoto } from "../servers/moto.ts";
import { type Sample, sample, timeMs } from "./stats.ts";

export interface MotoApplyPoint {
  readonly workers: number;
  readonly resources: number;
  readonly applyMs: Sample;
  readonly destroyMs: Sample;
}

export interface MotoApplyResult {
  readonly points: readonly MotoApplyPoint[];
  readonly terraform: string;
  /** Per repetition: apply(N max) / apply(N min) of the same repetition. */
  readonly applyRatio: Sample;
  readonly destroyRatio: Sample;
  /** Whether one unmeasured apply and destroy ran first. */
  readonly warmUp?: boolean;
}

export async function measureMotoApply(
  workerCounts: readonly number[],
  repetitions: number,
  log: (line: string) => void,
  { warmUp = true }: { readonly warmUp?: boolean } = {},
): Promise<MotoApplyResult> {
  const installation = providerInstallation(process.env, cacheRoot(), awsTerraformProvider);
  if (!installation.mirror)
    throw new Error(`no local mirror of hashicorp/aws ${awsTerraformProvider.version}: run bash scripts/setup.sh`);
  const terraform = await ensureTerraform(log);
  // CDKTF loads with the measurement that synthesizes, not with the bench's other parts.
  const [{ benchClusterProps }, { synthSparkCluster }] = await Promise.all([
    import("../../stacks/aws/bench.ts"),
    import("../../stacks/aws/cluster-app.ts"),
  ]);
  const moto = await startMoto();
  const saved = { ...process.env };
  Object.assign(process.env, moto.env());
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-moto-"));
  const apply: Map<number, number[]> = new Map(workerCounts.map((n) => [n, []]));
  const destroy: Map<number, number[]> = new Map(workerCounts.map((n) => [n, []]));
  const resources = new Map<number, number>();
  try {
    const vpc = await createClusterVpc(moto, {
      groupName: "burst-bench-cluster",
      profileName: "burst-bench-node",
      role: false,
    });
    // One unmeasured apply and destroy first: the first against a fresh moto and provider took
    // nearly twice the others (54 s against 28-31 s on 2026-12-07) and would land on one size only.
    for (let repetition = warmUp ? -1 : 0; repetition < repetitions; repetition++) {
      // Alternate the order so drift in the machine's load does not favour one size.
      const order =
        repetition < 0 ? workerCounts.slice(0, 1) : repetition % 2 === 0 ? workerCounts : [...workerCounts].reverse();
      for (const workers of order) {
        const outdir = join(scratch, `${workers}-${repetition}`);
        const props = clusterProps(benchClusterProps(workers), repetition, vpc, moto);
        const synth = synthSparkCluster(props, outdir);
        resources.set(workers, synth.resourceCount);
        const driver = new TerraformDriver({
          binary: terraform.binary,
          stackDir: synth.stackDir,
          scratchDir: outdir,
          installation,
          providerEnv: awsProviderEnv,
        });
        await driver.init();
        const applied = await timeMs(() => driver.apply(() => {}));
        const destroyed = await timeMs(() => driver.destroy(() => {}));
        if (repetition < 0) {
          log(
            `  warm-up, ${workers} workers: apply ${(applied / 1000).toFixed(1)} s, destroy ${(destroyed / 1000).toFixed(1)} s (not counted)`,
          );
          continue;
        }
        apply.get(workers)?.push(applied);
        destroy.get(workers)?.push(destroyed);
        log(`  ${workers} workers: apply ${(applied / 1000).toFixed(1)} s, destroy ${(destroyed / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    process.env = saved;
    await moto.stop();
    await rm(scratch, { recursive: true, force: true });
  }
  const first = workerCounts[0] ?? 1;
  const last = workerCounts[workerCounts.length - 1] ?? 1;
  const perRepetition = (times: Map<number, number[]>) =>
    sample((times.get(last) ?? []).map((ms, index) => ms / (times.get(first)?.[index] ?? Number.NaN)));
  return {
    terraform: `${terraform.name} ${terraform.version}`,
    points: workerCounts.map((workers) => ({
      workers,
      resources: resources.get(workers) ?? 0,
      applyMs: sample(apply.get(workers) ?? []),
      destroyMs: sample(destroy.get(workers) ?? []),
    })),
    applyRatio: perRepetition(apply),
    destroyRatio: perRepetition(destroy),
    warmUp,
  };
}

function clusterProps(
  example: SparkClusterProps,
  repetition: number,
  vpc: ClusterVpc,
  moto: MotoServer,
): SparkClusterProps {
  const workers = example.workers;
  const endpoint = moto.endpoint;
  return {
    ...example,
    runId: `bench-${workers}-${repetition < 0 ? "warmup" : repetition}`,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    // The VPC made here has no artifacts bucket; what nodes would download is beside the point.
    params: { ...example.params, region: motoRegion, baseAmi: vpc.imageId, downloads: "mirror" },
    vpc: {
      vpcId: vpc.vpcId,
      subnetIds: vpc.subnetIds,
      securityGroupId: vpc.securityGroupId,
      instanceProfileName: vpc.instanceProfileName,
    },
    // moto checks the key's format when it imports the run's key pair.
    sshPublicKey: newKeyPair("burst-bench").publicKey,
    callerCidr: "127.0.0.1/32",
    endpoints: { ec2: endpoint, iam: endpoint, s3: endpoint, sts: endpoint, ssm: endpoint },
  };
}
