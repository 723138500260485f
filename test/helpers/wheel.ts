// A pure-Python wheel built in the test itself, so pip installs in tests need no package index.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../src/util/exec.ts";

/** A pure-Python wheel built here (no network): `burstdemo.shout(text)` upper-cases with a mark. */
export async function buildWheel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "burstdemo-0.1.0-py3-none-any.whl");
  const script = `
import base64, hashlib, sys, zipfile
files = {
    "burstdemo/__init__.py": 'def shout(text):\\n    return text.upper() + "!"\\n',
    "burstdemo-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: burstdemo\\nVersion: 0.1.0\\n",
    "burstdemo-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: burst-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    for name, text in files.items():
        data = text.encode()
        wheel.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("burstdemo-0.1.0.dist-info/RECORD,,")
    wheel.writestr("burstdemo-0.1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
`;
  await run("python3", ["-c", script, file], { check: true });
  return file;
}
