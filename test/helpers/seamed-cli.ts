// Entry point: the burst CLI with test seams (src/lifecycle/seams.ts), for the fault tests: the seams come in
// as an option of main(), built here from the test's environment; burst itself reads none of these.
//   BURST_TEST_SIGNAL_DURING=<phase>:<SIGNAL>  the CLI signals itself once <phase>'s work has begun
//   BURST_TEST_HOLD_PHASE=<phase>              <phase> stays open ~3 s after its work starts
//   BURST_TEST_CRASH_PHASE=<phase>             an error nothing catches, ~2 s into <phase>
//   BURST_TEST_TIMEOUT_SECONDS=<n>             every step times out after n seconds
import type { Phase } from "../../src/lifecycle/events.ts";
import type { RunSeams } from "../../src/lifecycle/seams.ts";

const SEAM_VARIABLES = [
  "BURST_TEST_SIGNAL_DURING",
  "BURST_TEST_HOLD_PHASE",
  "BURST_TEST_CRASH_PHASE",
  "BURST_TEST_TIMEOUT_SECONDS",
] as const;

function seamsFromEnv(env: Readonly<Record<string, string | undefined>>): RunSeams {
  const [signalPhase, signal] = (env.BURST_TEST_SIGNAL_DURING ?? "").split(":");
  const hold = env.BURST_TEST_HOLD_PHASE;
  const crash = env.BURST_TEST_CRASH_PHASE;
  const timeout = Number(env.BURST_TEST_TIMEOUT_SECONDS);
  let signalled = false;
  return {
    ...(Number.isFinite(timeout) && timeout > 0 ? { stepTimeoutSeconds: timeout } : {}),
    duringPhase: async (phase: Phase) => {
      if (phase === signalPhase && signal && !signalled) {
        signalled = true;
        // Delivered by the kernel like any other signal; Node runs the handlers on its next turn,
        // while this phase's work is waiting on its first I/O.
        process.stderr.write(`test seam: ${signal} sent during ${phase}\n`);
        process.kill(process.pid, signal);
      }
      if (phase === crash) {
        setTimeout(() => {
          throw new Error(`test crash in ${phase} (BURST_TEST_CRASH_PHASE)`);
        }, 2000);
      }
      if (phase === hold) await new Promise((resolve) => setTimeout(resolve, 3000));
    },
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const seams = seamsFromEnv(process.env);
for (const name of SEAM_VARIABLES) delete process.env[name];
const { main } = await import("../../src/cli/burst.ts");
process.exitCode = await main(process.argv.slice(2), process, { seams });
