package io.agentgauge.flink;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * A mergeable quantile sketch: counts in logarithmic buckets of relative width 2% (the DDSketch
 * layout). Quantiles come back within 1% of the true value, and sketches of windows add up to
 * the sketch of their union, which is what a pooled baseline needs. Written here because
 * flink-dist ships no sketch library and the layout is a few lines; values at or below zero (or
 * not finite) count in {@code zeros}.
 */
public final class Sketch implements Serializable {
  private static final long serialVersionUID = 1L;
  static final double GAMMA = 1.02;
  private static final double LOG_GAMMA = Math.log(GAMMA);
  private static final int MIN_INDEX = index(1e-9);
  private static final int MAX_INDEX = index(1e15);

  public TreeMap<Integer, Long> buckets = new TreeMap<>();
  public long zeros;
  public long count;

  public Sketch() {}

  static int index(double v) {
    return (int) Math.ceil(Math.log(v) / LOG_GAMMA);
  }

  /** The value a bucket stands for: the middle of (gamma^(i-1), gamma^i]. */
  static double value(int index) {
    return 2 * Math.pow(GAMMA, index) / (GAMMA + 1);
  }

  /** The bucket of a value; {@link Integer#MIN_VALUE} for the zero bucket. */
  static int bucketOf(double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      return Integer.MIN_VALUE;
    }
    return Math.max(MIN_INDEX, Math.min(MAX_INDEX, index(v)));
  }

  public void add(double v) {
    count++;
    int i = bucketOf(v);
    if (i == Integer.MIN_VALUE) {
      zeros++;
    } else {
      buckets.merge(i, 1L, Long::sum);
    }
  }

  public void merge(Sketch other) {
    count += other.count;
    zeros += other.zeros;
    for (Map.Entry<Integer, Long> e : other.buckets.entrySet()) {
      buckets.merge(e.getKey(), e.getValue(), Long::sum);
    }
  }

  /** This sketch without the values of {@code part} (a sketch merged into it). */
  public Sketch minus(Sketch part) {
    Sketch out = new Sketch();
    out.merge(this);
    out.count = Math.max(0, count - part.count);
    out.zeros = Math.max(0, zeros - part.zeros);
    for (Map.Entry<Integer, Long> e : part.buckets.entrySet()) {
      long left = out.buckets.getOrDefault(e.getKey(), 0L) - e.getValue();
      if (left > 0) {
        out.buckets.put(e.getKey(), left);
      } else {
        out.buckets.remove(e.getKey());
      }
    }
    return out;
  }

  /** The bucket holding quantile q (nearest rank), or MIN_VALUE (zero bucket or empty). */
  int quantileBucket(double q) {
    if (count == 0) {
      return Integer.MIN_VALUE;
    }
    long rank = (long) Math.ceil(q * count);
    long seen = zeros;
    if (seen >= rank) {
      return Integer.MIN_VALUE;
    }
    int last = Integer.MIN_VALUE;
    for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
      seen += e.getValue();
      last = e.getKey();
      if (seen >= rank) {
        break;
      }
    }
    return last;
  }

  public double quantile(double q) {
    int b = quantileBucket(q);
    return b == Integer.MIN_VALUE ? 0.0 : value(b);
  }

  /** How many values lie in buckets above bucket {@code b}. */
  public long countAbove(int b) {
    if (b == Integer.MIN_VALUE) {
      long above = 0;
      for (long c : buckets.values()) {
        above += c;
      }
      return above;
    }
    long above = 0;
    for (long c : buckets.tailMap(b, false).values()) {
      above += c;
    }
    return above;
  }

  void write(DataOutputStream out) throws IOException {
    out.writeLong(count);
    out.writeLong(zeros);
    out.writeInt(buckets.size());
    for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
      out.writeInt(e.getKey());
      out.writeLong(e.getValue());
    }
  }

  static Sketch read(DataInputStream in) throws IOException {
    Sketch s = new Sketch();
    s.count = in.readLong();
    s.zeros = in.readLong();
    int n = in.readInt();
    for (int k = 0; k < n; k++) {
      s.buckets.put(in.readInt(), in.readLong());
    }
    return s;
  }
}
