/** versitygw's default region; the CLI's S3 client signs for the same one. Plain TS: the benchmarks read it without CDKTF. */
export const localS3Region = "us-east-1";
