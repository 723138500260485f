import { StringDecoder } from "node:string_decoder";

/**
 * Turns arbitrary chunks of a byte stream into whole lines (without "\n" or a trailing "\r"),
 * decoding UTF-8 across chunk boundaries. The one splitter for child processes and SSH streams.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feed a chunk; returns its decoded text (what is complete of it so far). */
  push(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    this.pending += text;
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      this.onLine(this.pending.slice(0, newline).replace(/\r$/, ""));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
    return text;
  }

  /** Emit a last line that had no newline; returns the text still held by the decoder. */
  flush(): string {
    const rest = this.decoder.end();
    this.pending += rest;
    if (this.pending !== "") this.onLine(this.pending.replace(/\r$/, ""));
    this.pending = "";
    return rest;
  }
}
