// A failed job's output turned into a hint: a jar built for another Scala binary version.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scalaLinkageError, scalaMismatchHint } from "../../src/job/failure-hints.ts";

describe("scalaLinkageError", () => {
  it("finds NoSuchMethodError and NoClassDefFoundError on scala.* symbols", () => {
    assert.equal(
      scalaLinkageError(
        `Exception in thread "main" java.lang.NoSuchMethodError: 'scala.collection.immutable.ArraySeq$ofRef scala.Predef$.wrapRefArray(java.lang.Object[])'`,
      ),
      "NoSuchMethodError: 'scala.collection.immutable.ArraySeq$ofRef scala.Predef$.wrapRefArray(java.lang.Object[])'",
    );
    assert.equal(
      scalaLinkageError("Caused by: java.lang.NoClassDefFoundError: scala/collection/immutable/LazyList"),
      "NoClassDefFoundError: scala/collection/immutable/LazyList",
    );
  });

  it("ignores linkage errors on other classes and ordinary lines", () => {
    assert.equal(scalaLinkageError("java.lang.NoClassDefFoundError: com/example/Missing"), undefined);
    assert.equal(scalaLinkageError("java.lang.NoSuchMethodError: 'void com.example.Udf.run()'"), undefined);
    assert.equal(scalaLinkageError("INFO scala version 2.12.18"), undefined);
  });
});

describe("scalaMismatchHint", () => {
  it("names the jar's likely Scala and the cluster's", () => {
    assert.equal(
      scalaMismatchHint("NoClassDefFoundError: scala/collection/immutable/LazyList", "3.5.3"),
      "NoClassDefFoundError: scala/collection/immutable/LazyList: the jar looks built for Scala 2.13, but the cluster's Spark 3.5.3 runs Scala 2.12; rebuild it against Scala 2.12 (dependencies named _2.12)",
    );
  });

  it("says 2.13 or 2.11 when the symbol does not tell", () => {
    assert.match(
      scalaMismatchHint("NoSuchMethodError: 'scala.Product.$init$(scala.Product)'", "3.5.0"),
      /built for another Scala binary version \(2\.13 or 2\.11\), but the cluster's Spark 3\.5\.0 runs Scala 2\.12/,
    );
  });
});
