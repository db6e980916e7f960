package io.agentgauge.flink;

/**
 * The binomial upper tail P(X >= k) for X ~ Binomial(n, p), in log space so that n in the
 * thousands and tails of 1e-300 stay exact enough; and the smallest k whose tail is at most a
 * level. (No statistics library ships in flink-dist; this is Lanczos' log-gamma and a sum.)
 */
final class Binomial {
  private static final double[] LANCZOS = {
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7
  };

  private Binomial() {}

  static double logGamma(double x) {
    if (x < 0.5) {
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    x -= 1;
    double a = LANCZOS[0];
    double t = x + 7.5;
    for (int i = 1; i < 9; i++) {
      a += LANCZOS[i] / (x + i);
    }
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
  }

  static double logPmf(long k, long n, double p) {
    return logGamma(n + 1.0) - logGamma(k + 1.0) - logGamma(n - k + 1.0)
        + k * Math.log(p) + (n - k) * Math.log1p(-p);
  }

  /**
   * P(X >= k). A count below the mean is never significant and comes back as 1 (the sum from
   * there would overflow and is not needed); above it the terms only fall.
   */
  static double upperTail(long k, long n, double p) {
    if (k <= 0 || k < n * p || p >= 1) {
      return 1.0;
    }
    if (p <= 0) {
      return 0.0;
    }
    if (k > n) {
      return 0.0;
    }
    double logTerm = logPmf(k, n, p);
    double odds = p / (1 - p);
    double sum = 0;
    double term = 1.0; // relative to exp(logTerm)
    for (long i = k; i <= n; i++) {
      sum += term;
      term *= (double) (n - i) / (i + 1) * odds;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return Math.min(1.0, Math.exp(logTerm + Math.log(sum)));
  }

  /** The smallest k with P(X >= k) <= level, or n + 1 when none is. */
  static long criticalCount(long n, double p, double level) {
    long lo = 0;
    long hi = n + 1;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (upperTail(mid, n, p) <= level) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
