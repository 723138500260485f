// burst's results upload as its own process, so the upload benchmark times it the way it times
// `aws s3 sync`: from process start to exit. Runs the compiled ObjectStore from dist/ (no
// TypeScript loader), as `npm run burst` does.
//
//   node scripts/bench/upload-process.mjs DIR BUCKET KEY_PREFIX
//   node scripts/bench/upload-process.mjs --list BUCKET   start-up and one request, as `aws s3 ls`
//   environment: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION

// Imported by URL, so type checking never follows it into generated code.
const { ObjectStore } = await import(new URL("../../dist/src/storage/s3.js", import.meta.url).href);

const listing = process.argv[2] === "--list";
const [dir, bucket, key] = listing ? ["-", process.argv[3], ""] : process.argv.slice(2);
const { S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION } = process.env;
if (!dir || !bucket || key === undefined || !S3_ENDPOINT || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
  process.stderr.write(
    "usage: S3_ENDPOINT=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... upload-process.mjs DIR BUCKET KEY\n",
  );
  process.exit(2);
}
const store = new ObjectStore(
  {
    region: AWS_DEFAULT_REGION || "us-east-1",
    endpoint: S3_ENDPOINT,
    forcePathStyle: true,
    credentials: { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY },
  },
  { attempts: 1, firstDelayMs: 0 },
);
try {
  if (listing) {
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    await store.client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
  } else {
    await store.uploadPath(dir, { bucket, key });
  }
} finally {
  store.destroy();
}
