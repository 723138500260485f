import { BurstError, ExitCode } from "../errors.ts";

/**
 * Run a script's main and exit with its code. A BurstError is rendered once, prefixed with the
 * command's name, and exits with its own code; anything else is an infrastructure failure.
 */
export function runEntry(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof BurstError) {
        console.error(`${name}: ${error.render()}`);
        process.exit(error.exitCode);
      }
      console.error(error);
      process.exit(ExitCode.infrastructure);
    },
  );
}
