package example;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/** The legacy jar job: estimates pi in N partitions. Uses scala.Tuple2, so it links to the cluster's Scala. */
public final class LegacyPi {
  private LegacyPi() {}

  public static void main(String[] args) {
    if (args.length != 1 || !args[0].matches("\\d+")) {
      System.err.println("usage: LegacyPi <partitions>");
      System.exit(2);
    }
    int partitions = Integer.parseInt(args[0]);
    int samples = 100_000 * partitions;
    SparkSession spark = SparkSession.builder().appName("legacy-pi").getOrCreate();
    JavaSparkContext sc = new JavaSparkContext(spark.sparkContext());
    List<Integer> seeds = new ArrayList<>();
    for (int i = 0; i < samples; i++) seeds.add(i);
    long hits =
        sc.parallelize(seeds, partitions)
            .mapToPair(i -> new Tuple2<>(Math.random(), Math.random()))
            .filter(p -> p._1() * p._1() + p._2() * p._2() <= 1.0)
            .count();
    System.out.printf("legacy jar: pi is roughly %.5f (%d samples in %d partitions, Scala %s)%n",
        4.0 * hits / samples, samples, partitions, scala.util.Properties.versionNumberString());
    spark.stop();
  }
}
