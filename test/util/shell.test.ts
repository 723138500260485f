import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { formatCommand } from "../../src/util/exec.ts";
import { shellQuote } from "../../src/util/shell.ts";

/** What a POSIX shell makes of `word` as one argument: printf prints it back unchanged if it is one word. */
const throughShell = (word: string): string =>
  execFileSync("sh", ["-c", `printf '%s|' ${word}`], { encoding: "utf8" }).replace(/\|$/, "");

const awkward = [
  "plain",
  "two words",
  "",
  "$HOME and ${PATH} and $(id) and `id`",
  "line one\nline two\n",
  "it's",
  "'''",
  `"double" \\backslash\\ *glob? [set] ~tilde; a && b | c > d`,
  "tab\there",
];

test("shellQuote: one single-quoted word, a single quote closed, escaped and reopened", () => {
  assert.equal(shellQuote("plain"), "'plain'");
  assert.equal(shellQuote("two words"), "'two words'");
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote("a\nb"), "'a\nb'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test("shellQuote: sh reads every value back as exactly one argument, unchanged (no expansion, no splitting)", () => {
  for (const value of awkward) assert.equal(throughShell(shellQuote(value)), value, JSON.stringify(value));
  // Several quoted values stay several arguments, an empty one included.
  const out = execFileSync("sh", ["-c", `printf '<%s>' ${["a b", "", "$x"].map(shellQuote).join(" ")}`], {
    encoding: "utf8",
  });
  assert.equal(out, "<a b><><$x>");
});

test("formatCommand quotes only the arguments that need it, the same way", () => {
  assert.equal(
    formatCommand("spark-submit", ["--conf", "a=b", "my job.py", "it's"]),
    `spark-submit --conf a=b 'my job.py' 'it'\\''s'`,
  );
});
