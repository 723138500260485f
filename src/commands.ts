// The commands a message tells the user to run next, written once: how burst is started here.

/** How a user starts burst: `npm run burst -- <args>`. */
export const BURST_COMMAND = "npm run burst --";

/** The command line that runs burst with `args`: burstCommand("down <run-id>"). */
export const burstCommand = (args: string): string => `${BURST_COMMAND} ${args}`;
