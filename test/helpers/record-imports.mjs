// @ts-check
// `node --import ./test/helpers/record-imports.mjs ...`: appends the URL of every module the
// process loads (except node: built-ins) to the file named by BURST_RECORD_IMPORTS, one a line.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from "node:fs";
const file = ${JSON.stringify(process.env.BURST_RECORD_IMPORTS ?? "")};
export async function load(url, context, next) {
  if (file && !url.startsWith("node:")) appendFileSync(file, url + "\\n");
  return next(url, context);
}`)}`,
);
