// @ts-check
// `node --import ./test/helpers/record-imports.mjs ...`: appends the URL of every module the
// process loads (except node: built-ins) to the file named by BURST_RECORD_IMPORTS, one a line:
// ES modules as the loader loads them, and at exit every CommonJS file require() loaded, which
// the loader's hooks never see (a package's own require()s, like @cdktf/provider-aws's of cdktf).
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";

const file = process.env.BURST_RECORD_IMPORTS ?? "";
register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from "node:fs";
const file = ${JSON.stringify(file)};
export async function load(url, context, next) {
  if (file && !url.startsWith("node:")) appendFileSync(file, url + "\\n");
  return next(url, context);
}`)}`,
);
const required = createRequire(import.meta.url).cache;
process.on("exit", () => {
  if (!file) return;
  const urls = Object.keys(required).map((path) => `${pathToFileURL(path).href}\n`);
  appendFileSync(file, urls.join(""));
});
