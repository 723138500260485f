import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter } from "../../src/util/lines.ts";

test("LineSplitter: whole lines from any chunking, UTF-8 split mid-character, CRLF, a last partial line", () => {
  const text = "héllo wörld\r\nsecond ✓ line\nno newline at the end";
  const bytes = Buffer.from(text, "utf8");
  for (const size of [1, 2, 3, 7, bytes.length]) {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    let decoded = "";
    for (let at = 0; at < bytes.length; at += size) decoded += splitter.push(bytes.subarray(at, at + size));
    decoded += splitter.flush();
    assert.deepEqual(lines, ["héllo wörld", "second ✓ line", "no newline at the end"], `chunks of ${size} bytes`);
    assert.equal(decoded, text, `the decoded text is the stream's, chunks of ${size} bytes`);
  }
});
