// Entry point of `npm run burst`. All behaviour lives in src/cli/burst.ts.
// The AWS SDK warns on every start that Node 20 support ends in 2027; burst documents it instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { main } = await import("../src/cli/burst.ts");
process.exitCode = await main(process.argv.slice(2));
