// @ts-check
// `node scripts/run.mjs <entry> [args...]`: what `npm run burst` (and config:push, config:show,
// vpc) run. Starts the compiled entry dist/scripts/<entry>.js, with no TypeScript loader; when a
// source is newer than dist/ (an edit, a pull, a checkout), it rebuilds first and says so, so a
// stale build never runs silently.
import { pathToFileURL } from "node:url";
import { buildIfStale, distDir, entries } from "./build.mjs";

const entry = process.argv[2] ?? "";
if (!entries.includes(entry)) {
  process.stderr.write(`usage: node scripts/run.mjs ${entries.join("|")} [args...]\n`);
  process.exit(2);
}
// The entry reads its arguments from process.argv.slice(2), as when started directly.
process.argv.splice(2, 1);

await buildIfStale({ log: (line) => void process.stderr.write(`burst: ${line}\n`) });
await import(pathToFileURL(`${distDir}/scripts/${entry}.js`).href);
