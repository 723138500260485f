// The catalogue of malformed spark.yml files: each names the exact file:line:col and key path,
// says what was expected and what was found, and exits with code 2 (bad input).

import { describe, it } from "node:test";
import { assertRejected, type Expected, INLINE_FILE, MINIMAL, parse, specErrorOf } from "./helpers.ts";

interface Case extends Expected {
  readonly title: string;
  readonly yaml: string;
}

const REPO = "code: { repo: https://github.com/org/jobs.git }";

const catalogue: readonly Case[] = [
  // ---- YAML itself
  {
    title: "a tab used for indentation",
    yaml: `name: wordcount\ncode:\n\trepo: x\n`,
    at: "3:1",
    says: "invalid YAML",
    hint: "indent with spaces",
  },
  {
    title: "more than one YAML document",
    yaml: `${MINIMAL}---\nname: other\n`,
    at: "4:1",
    says: "invalid YAML: Source contains multiple documents",
  },
  {
    title: "a duplicate key inside a flow mapping",
    yaml: `name: wordcount\ncode: { repo: https://github.com/org/jobs.git, repo: ./jobs }\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "2:48",
    key: "code.repo",
    says: 'expected each key once, found "repo" again (first at line 2)',
  },
  {
    title: "a scalar instead of a mapping at the top level",
    yaml: "just some text\n",
    at: "1:1",
    says: 'expected a mapping, found string "just some text"',
    hint: "a spec is a mapping of keys like name:, code:, job:",
  },

  // ---- unknown keys
  {
    title: "a misspelled top-level key suggests the right one",
    yaml: `nmae: wordcount\n${REPO}\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "1:1",
    key: "nmae",
    says: 'expected one of name, target, code, job, steps, onError, dependencies, cluster, inputs, outputs, results, tags, maxCostUsd, notify, environments, found unknown key "nmae"',
    hint: "did you mean 'name'?",
  },
  {
    title: "a transposed nested key suggests the right one",
    yaml: `${MINIMAL}cluster:\n  wrokers: 3\n`,
    at: "5:3",
    key: "cluster.wrokers",
    says: 'found unknown key "wrokers"',
    hint: "did you mean 'workers'?",
  },
  {
    title: "snake_case for a camelCase key suggests the camelCase one",
    yaml: `${MINIMAL}cluster:\n  ttl_minutes: 60\n`,
    at: "5:3",
    key: "cluster.ttl_minutes",
    says: 'found unknown key "ttl_minutes"',
    hint: "did you mean 'ttlMinutes'?",
  },
  {
    title: "a key in the wrong section says where it belongs",
    yaml: `${MINIMAL}workers: 4\n`,
    at: "4:1",
    key: "workers",
    says: 'found unknown key "workers"',
    hint: '"workers" belongs at cluster.workers',
  },
  {
    title: "spot on the master is refused: the master is never spot",
    yaml: `${MINIMAL}cluster:\n  master: { instanceType: m5.xlarge, spot: true }\n`,
    at: "5:38",
    key: "cluster.master.spot",
    says: 'expected one of instanceType, found unknown key "spot"',
    hint: "the master is never spot",
  },

  {
    title: "a key every JavaScript object has is still an unknown key",
    yaml: `${MINIMAL}toString: yes\n`,
    at: "4:1",
    key: "toString",
    says: 'found unknown key "toString"',
  },
  {
    title: "a list used as a key",
    yaml: `${MINIMAL}[a, b]: c\n`,
    at: "4:1",
    says: "expected a key name, found a list",
  },

  // ---- missing keys point at the parent mapping
  {
    title: "a missing name points at the top-level mapping",
    yaml: `# comment first\n${REPO}\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "2:1",
    key: "name",
    says: 'expected required key "name" (string), found no such key',
    hint: "add it at the top level, e.g. name: wordcount",
  },
  {
    title: "a missing code section points at the top-level mapping",
    yaml: `name: wordcount\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "1:1",
    key: "code",
    says: 'expected required key "code" (mapping), found no such key',
  },
  {
    title: "a missing code.repo points at the code mapping",
    yaml: `name: wordcount\ncode:\n  ref: main\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "3:3",
    key: "code.repo",
    says: 'expected required key "repo" (string), found no such key',
    hint: "add it under code, e.g. repo: https://github.com/org/jobs.git",
  },
  {
    title: "a missing job.type points at the job mapping",
    yaml: `name: wordcount\n${REPO}\njob: { entrypoint: main.py }\n`,
    at: "3:6",
    key: "job.type",
    says: 'expected required key "type" (one of pyspark, jar, shell)',
  },
  {
    title: "a missing job.entrypoint points at the job mapping",
    yaml: `name: wordcount\n${REPO}\njob:\n  type: shell\n`,
    at: "4:3",
    key: "job.entrypoint",
    says: 'expected required key "entrypoint" (string)',
  },
  {
    title: "a required key left empty points at the key itself",
    yaml: `name:\n${REPO}\njob: { type: pyspark, entrypoint: main.py }\n`,
    at: "1:1",
    key: "name",
    says: "expected string, found null",
    hint: "give it a value, e.g. name: wordcount",
  },

  // ---- wrong types
  {
    title: "a word where an integer belongs",
    yaml: `${MINIMAL}cluster:\n  workers: two\n`,
    at: "5:12",
    key: "cluster.workers",
    says: 'expected integer, found string "two"',
  },
  {
    title: "a quoted number where an integer belongs",
    yaml: `${MINIMAL}cluster: { workers: "3" }\n`,
    at: "4:21",
    key: "cluster.workers",
    says: 'expected integer, found string "3"',
    hint: "remove the quotes around the number",
  },
  {
    title: "a fraction where an integer belongs",
    yaml: `${MINIMAL}cluster: { diskGb: 2.5 }\n`,
    at: "4:20",
    key: "cluster.diskGb",
    says: "expected integer, found number 2.5",
  },
  {
    title: "yes is not a boolean in YAML 1.2",
    yaml: `${MINIMAL}cluster:\n  worker:\n    spot: yes\n`,
    at: "6:11",
    key: "cluster.worker.spot",
    says: 'expected boolean (true or false), found string "yes"',
    hint: "write true or false",
  },
  {
    title: "args written as one string instead of a list",
    yaml: `name: wordcount\n${REPO}\njob:\n  type: pyspark\n  entrypoint: main.py\n  args: s3a://bucket/in/\n`,
    at: "6:9",
    key: "job.args",
    says: 'expected a list, found string "s3a://bucket/in/"',
    hint: "write args as a list",
  },
  {
    title: "a list inside a conf value",
    yaml: `name: wordcount\n${REPO}\njob:\n  type: pyspark\n  entrypoint: main.py\n  conf:\n    spark.jars: [a.jar, b.jar]\n`,
    at: "7:17",
    key: "job.conf.spark.jars",
    says: "expected string, found a list",
  },

  // ---- name and target
  {
    title: "a name that cannot name cloud resources suggests a slug",
    yaml: MINIMAL.replace("name: wordcount", "name: My_Word Count"),
    at: "1:7",
    key: "name",
    says: 'expected a name of 1-40 lowercase letters, digits and dashes (no leading or trailing dash), found string "My_Word Count"',
    hint: "try my-word-count",
  },
  {
    title: "a name longer than 40 characters",
    yaml: MINIMAL.replace("name: wordcount", `name: ${"a".repeat(41)}`),
    at: "1:7",
    key: "name",
    says: "expected a name of 1-40 lowercase letters",
  },
  {
    title: "an unknown target",
    yaml: `${MINIMAL}target: gcp\n`,
    at: "4:9",
    key: "target",
    says: 'expected one of local, aws, found string "gcp"',
  },

  // ---- code
  {
    title: "a plain-http repository URL",
    yaml: MINIMAL.replace("https://", "http://"),
    at: "2:15",
    key: "code.repo",
    says: "expected a git URL (https://, ssh://, git@host:path, file://) or a local folder",
    hint: "use https",
  },
  {
    title: "an unsupported repository scheme",
    yaml: MINIMAL.replace("https://github.com/org/jobs.git", "ftp://example.com/jobs.git"),
    at: "2:15",
    key: "code.repo",
    says: 'found string "ftp://example.com/jobs.git"',
  },
  {
    title: "a host path without a scheme is taken as a missing local folder",
    yaml: MINIMAL.replace("https://github.com/org/jobs.git", "github.com/org/jobs"),
    at: "2:15",
    key: "code.repo",
    says: 'expected an existing local folder (a git URL or a local repository path), found "github.com/org/jobs"',
    hint: "https://github.com/org/jobs.git",
  },
  {
    title: "a local repository folder that does not exist",
    yaml: MINIMAL.replace("https://github.com/org/jobs.git", "../no-such-jobs"),
    at: "2:15",
    key: "code.repo",
    says: "which does not exist",
  },
  {
    title: "a local repository path that is a file",
    yaml: MINIMAL.replace("https://github.com/org/jobs.git", "../jobs/wordcount.py"),
    at: "2:15",
    key: "code.repo",
    says: "which is a file",
  },
  {
    title: "an empty repository",
    yaml: MINIMAL.replace("https://github.com/org/jobs.git", '""'),
    at: "2:15",
    key: "code.repo",
    says: 'expected a non-empty string, found string ""',
  },
  {
    title: "an all-digit commit that YAML reads as a number",
    yaml: MINIMAL.replace("jobs.git }", "jobs.git, ref: 0123456 }"),
    at: "2:53",
    key: "code.ref",
    says: "expected string, found number 0123456",
    hint: 'quote it, e.g. ref: "0123456"',
  },
  {
    title: "a ref with a space",
    yaml: MINIMAL.replace("jobs.git }", "jobs.git, ref: my branch }"),
    at: "2:53",
    key: "code.ref",
    says: "expected a git branch, tag or commit",
  },
  {
    title: "a subdirectory that climbs out of the repository",
    yaml: MINIMAL.replace("jobs.git }", "jobs.git, subdirectory: ../elsewhere }"),
    at: "2:62",
    key: "code.subdirectory",
    says: "expected a path that stays inside the folder (no ..)",
  },

  // ---- job
  {
    title: "a misspelled job type suggests the right one",
    yaml: MINIMAL.replace("type: pyspark", "type: pyspak"),
    at: "3:14",
    key: "job.type",
    says: 'expected one of pyspark, jar, shell, found string "pyspak"',
    hint: "did you mean 'pyspark'?",
  },
  {
    title: "a jar job without a main class points at the job mapping",
    yaml: MINIMAL.replace("type: pyspark, entrypoint: main.py", "type: jar, entrypoint: wc.jar"),
    at: "3:6",
    key: "job.class",
    says: "expected a main class for a jar job, found no job.class",
    hint: "class: com.example.WordCount",
  },
  {
    title: "a main class on a pyspark job",
    yaml: MINIMAL.replace("entrypoint: main.py", "entrypoint: main.py, class: com.example.Main"),
    at: "3:51",
    key: "job.class",
    says: 'expected no class for a pyspark job, found string "com.example.Main"',
  },
  {
    title: "a pyspark job whose entrypoint is a jar suggests type: jar",
    yaml: MINIMAL.replace("main.py", "wordcount.jar"),
    at: "3:35",
    key: "job.entrypoint",
    says: 'expected a .py file for a pyspark job, found string "wordcount.jar"',
    hint: "did you mean type: jar?",
  },
  {
    title: "a jar job whose entrypoint is not a .jar",
    yaml: MINIMAL.replace("type: pyspark, entrypoint: main.py", "type: jar, class: a.B, entrypoint: build/wc"),
    at: "3:43",
    key: "job.entrypoint",
    says: "expected a .jar file for a jar job",
  },
  {
    title: "a conf key that spark-submit would ignore suggests the spark. prefix",
    yaml: MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, conf: { executor.memory: 2g } }"),
    at: "3:52",
    key: "job.conf.executor.memory",
    says: "expected a Spark property name starting with 'spark.', found key \"executor.memory\"",
    hint: "did you mean 'spark.executor.memory'?",
  },
  {
    title: "an environment variable name that is not an identifier",
    yaml: MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, env: { LOG-LEVEL: info } }"),
    at: "3:51",
    key: "job.env.LOG-LEVEL",
    says: 'expected an environment variable name (letters, digits and _, not starting with a digit), found key "LOG-LEVEL"',
    hint: "try LOG_LEVEL",
  },
  {
    title: "an environment variable without a value",
    yaml: `name: wordcount\n${REPO}\njob:\n  type: pyspark\n  entrypoint: main.py\n  env:\n    DEBUG:\n`,
    at: "7:5",
    key: "job.env.DEBUG",
    says: "expected string, found null",
    hint: 'write "" for an empty value',
  },
  {
    title: "an s3a:// argument with an invalid bucket name",
    yaml: MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, args: [--in, s3a://Raw_Data/in/] }"),
    at: "3:57",
    key: "job.args[1]",
    says: 'expected a bucket name of 3-63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit, found bucket "Raw_Data"',
    hint: "bucket names are lowercase: try raw-data",
  },
  {
    title: "a job timeout longer than the cluster's TTL",
    yaml: `${MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, timeoutMinutes: 200 }")}cluster: { ttlMinutes: 120 }\n`,
    at: "3:60",
    key: "job.timeoutMinutes",
    says: "expected at most cluster.ttlMinutes (120), found 200",
    hint: "raise cluster.ttlMinutes or lower the timeout",
  },

  // ---- cluster
  {
    title: "zero workers for a pyspark job",
    yaml: `${MINIMAL}cluster: { workers: 0 }\n`,
    at: "4:21",
    key: "cluster.workers",
    says: "expected at least 1 worker for a pyspark job, found 0",
  },
  {
    title: "more workers than the limit",
    yaml: `${MINIMAL}cluster: { workers: 5000 }\n`,
    at: "4:21",
    key: "cluster.workers",
    says: "expected an integer from 0 to 1000, found 5000",
  },
  {
    title: "an instance type with a dash instead of a dot suggests the fix",
    yaml: `${MINIMAL}cluster:\n  worker: { instanceType: m5-xlarge }\n`,
    at: "5:27",
    key: "cluster.worker.instanceType",
    says: 'expected an EC2 instance type like m5.xlarge (family.size), found string "m5-xlarge"',
    hint: "did you mean 'm5.xlarge'?",
  },
  {
    title: "a size without a family is not an instance type",
    yaml: `${MINIMAL}cluster:\n  master: { instanceType: xlarge }\n`,
    at: "5:27",
    key: "cluster.master.instanceType",
    says: "expected an EC2 instance type like m5.xlarge",
  },
  {
    title: "a negative spot price",
    yaml: `${MINIMAL}cluster:\n  worker: { spot: true, maxPrice: -0.5 }\n`,
    at: "5:35",
    key: "cluster.worker.maxPrice",
    says: "expected a positive number, found -0.5",
  },
  {
    title: "a spot price for on-demand workers",
    yaml: `${MINIMAL}cluster:\n  worker: { maxPrice: 0.2 }\n`,
    at: "5:23",
    key: "cluster.worker.maxPrice",
    says: "expected no maxPrice for on-demand workers (spot: false), found number 0.2",
    hint: "set cluster.worker.spot: true",
  },
  {
    title: "a spot fallback for on-demand workers",
    yaml: `${MINIMAL}cluster:\n  worker: { spot: false, spotFallback: false }\n`,
    at: "5:40",
    key: "cluster.worker.spotFallback",
    says: "expected no spotFallback for on-demand workers",
  },
  {
    title: "worker memory without a unit",
    yaml: `${MINIMAL}cluster:\n  worker: { memory: "2048" }\n`,
    at: "5:21",
    key: "cluster.worker.memory",
    says: 'expected a memory size like 2g or 512m, found string "2048"',
    hint: "add a unit: 2048m or 2048g",
  },
  {
    title: "a Spark version YAML reads as a number",
    yaml: `${MINIMAL}cluster: { spark: 3.5 }\n`,
    at: "4:19",
    key: "cluster.spark",
    says: "expected string, found number 3.5",
    hint: 'write the full version, e.g. spark: "3.5.3"',
  },
  {
    title: "a Spark version without the patch release",
    yaml: `${MINIMAL}cluster: { spark: "3.5" }\n`,
    at: "4:19",
    key: "cluster.spark",
    says: "expected a Spark version like 3.5.3 (major.minor.patch)",
    hint: "give the patch release too, e.g. 3.5.0",
  },
  {
    title: "a disk too small to boot from",
    yaml: `${MINIMAL}cluster: { diskGb: 4 }\n`,
    at: "4:20",
    key: "cluster.diskGb",
    says: "expected an integer from 8 to 16384, found 4",
  },
  {
    title: "an absurd TTL explains the maximum",
    yaml: `${MINIMAL}cluster:\n  ttlMinutes: 100000\n`,
    at: "5:15",
    key: "cluster.ttlMinutes",
    says: "expected an integer from 5 to 1440, found 100000",
    hint: "the longest is 1440 minutes (24 hours)",
  },

  // ---- inputs, outputs, results
  {
    title: "an input that does not exist",
    yaml: `${MINIMAL}inputs:\n  - { from: ../data/missing.csv, to: s3://burst-input/ }\n`,
    at: "5:13",
    key: "inputs[0].from",
    says: 'expected an existing file or folder, found "../data/missing.csv"',
  },
  {
    title: "an input destination that is a local path",
    yaml: `${MINIMAL}inputs:\n  - from: ../data/words.txt\n    to: /tmp/words.txt\n`,
    at: "6:9",
    key: "inputs[0].to",
    says: 'expected an s3:// URI like s3://bucket/prefix/, found string "/tmp/words.txt"',
  },
  {
    title: "an empty item in the inputs list",
    yaml: `${MINIMAL}inputs:\n  - { from: ../data/words.txt, to: s3://burst-input/ }\n  -\n`,
    at: "6:4",
    key: "inputs[1]",
    says: "expected a mapping, found null",
  },
  {
    title: "inputs written as a mapping instead of a list",
    yaml: `${MINIMAL}inputs:\n  from: ../data/words.txt\n`,
    at: "5:3",
    key: "inputs",
    says: "expected a list, found a mapping",
  },
  {
    title: "an absolute output path",
    yaml: `${MINIMAL}outputs: [/etc/passwd]\n`,
    at: "4:11",
    key: "outputs[0]",
    says: 'expected a relative path, found string "/etc/passwd"',
  },
  {
    title: "results as an https S3 URL suggests the s3:// form",
    yaml: `${MINIMAL}results: https://my-results.s3.amazonaws.com/runs/\n`,
    at: "4:10",
    key: "results",
    says: "expected an s3:// URI like s3://bucket/prefix/",
    hint: "write it as s3://my-results/runs/",
  },
  {
    title: "results in a bucket with upper-case letters",
    yaml: `${MINIMAL}results: s3://My_Results/runs/\n`,
    at: "4:10",
    key: "results",
    says: 'found bucket "My_Results"',
    hint: "try my-results",
  },
  {
    title: "results in a bucket name too short for S3",
    yaml: `${MINIMAL}results: s3a://ab/runs/\n`,
    at: "4:10",
    key: "results",
    says: 'found bucket "ab"',
  },

  // ---- tags and budget
  {
    title: "a tag key in the aws: namespace",
    yaml: `${MINIMAL}tags: { "aws:team": data }\n`,
    at: "4:9",
    key: "tags.aws:team",
    says: "expected a tag key not starting with aws: (AWS reserves that prefix)",
  },
  {
    title: "a tag value longer than AWS allows",
    yaml: `${MINIMAL}tags: { note: ${"x".repeat(257)} }\n`,
    at: "4:15",
    key: "tags.note",
    says: "expected a tag value of 0-256 characters, found 257 characters",
  },
  {
    title: "a tag that is a mapping",
    yaml: `${MINIMAL}tags:\n  owner: { name: ana }\n`,
    at: "5:10",
    key: "tags.owner",
    says: "expected string, found a mapping",
  },
  {
    title: "a zero budget",
    yaml: `${MINIMAL}maxCostUsd: 0\n`,
    at: "4:13",
    key: "maxCostUsd",
    says: "expected a positive number, found 0",
  },
];

describe("a malformed spark.yml is rejected with its exact position", () => {
  for (const bad of catalogue) {
    it(bad.title, () =>
      assertRejected(
        specErrorOf(() => parse(bad.yaml)),
        INLINE_FILE,
        bad,
      ),
    );
  }
});
