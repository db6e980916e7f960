package io.agentgauge.flink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The windowed rules of one workflow: each window is tested against the workflow's pooled
 * history over a trailing horizon, at the workflow level and for each segment.
 *
 * <p>Every rule is one binomial test of the window's count at the window's own volume:
 *
 * <ul>
 *   <li>{@code error_rate_spike}: error events among calls and finished runs, against the
 *       pooled error share;
 *   <li>{@code retry_storm}: retries among model calls, against the pooled retry share;
 *   <li>{@code latency_p95_spike}: model calls slower than the pooled p95, against the pooled
 *       share above it (about 5%);
 *   <li>{@code cost_rate_spike}: costed events dearer than the pooled p95 cost per event.
 * </ul>
 *
 * A window alerts when its upper-tail p-value is at most {@code max_p_value} and the effect is
 * large enough ({@code min_count}, {@code min_ratio}, {@code min_rate}, {@code min_excess_usd}),
 * whatever the density of the history: a thin window needs a stark excess to reach the p-value,
 * a thick one does not. A window that follows its neighbour directly is also tested pooled with
 * it (a ten-minute span), which gives a slow workflow the evidence of two windows.
 *
 * <p>The baseline holds hourly tallies for {@code horizon_hours}; the window before the current
 * one joins it only after the current one was judged, so a two-window span is never its own
 * baseline.
 *
 * <p>Levels: when the workflow and exactly one segment fire for a rule in the same window, the
 * segment's alert is kept (the change starts there), unless the workflow's history holds that
 * segment only; when the workflow and several segments fire, the workflow's; when only segments
 * fire, each of theirs. So one window pages once per rule and level of cause.
 */
public final class Detector implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String WORKFLOW = "";
  private static final long HOUR = 3_600_000L;

  /** Hour start -> level ("" for the workflow, else the segment) -> tally. */
  public TreeMap<Long, TreeMap<String, Tally>> hours = new TreeMap<>();
  /** The last window seen, not yet part of the baseline. */
  public TreeMap<String, Tally> pending;
  public long pendingStart = Long.MIN_VALUE;
  /** rule|segment|start of the alerts of the last window: a two-window span that starts where
   * a one-window alert did would repeat its alert id. */
  public java.util.HashSet<String> lastOut = new java.util.HashSet<>();

  public Detector() {}

  /** One alert's evidence. */
  public static final class Verdict implements Serializable {
    private static final long serialVersionUID = 1L;
    public String rule;
    public String severity;
    public String level;
    public String segment;
    public long windowStart;
    public long windowEnd;
    public long firstMillis;
    public double observed;
    public double threshold;
    public double baseline;
    public long windowVolume;
    public long baselineVolume;
    public double pValue;
    public double horizonHours;
    /** The span's tally (not part of the alert). */
    transient Tally tally;

    public Verdict() {}
  }

  /** One rule's thresholds. */
  public static final class Rule implements Serializable {
    private static final long serialVersionUID = 1L;
    final String name;
    final String severity;
    final long minCount;
    final double minRatio;
    final double minRate;
    final double minExcess;

    Rule(String name, String severity, JsonNode node) {
      this.name = name;
      this.severity = severity;
      this.minCount = node.path("min_count").asLong(3);
      this.minRatio = node.path("min_ratio").asDouble(2.0);
      this.minRate = node.path("min_rate").asDouble(0.0);
      this.minExcess = node.path("min_excess_usd").asDouble(0.0);
    }
  }

  /** The rules' configuration, rendered by jobs/sql_render.py from ceilings.yaml. */
  public static final class Config implements Serializable {
    private static final long serialVersionUID = 1L;
    final long windowMillis;
    final double horizonHours;
    final double maxP;
    final long minBaseline;
    final int maxSegments;
    final Rule error;
    final Rule retry;
    final Rule latency;
    final Rule cost;

    public static Config parse(String json) {
      try {
        return new Config(new ObjectMapper().readTree(json));
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("bad anomaly config: " + e.getMessage(), e);
      }
    }

    private Config(JsonNode n) {
      windowMillis = (long) (n.path("window_minutes").asDouble(5) * 60_000);
      horizonHours = n.path("horizon_hours").asDouble(24);
      maxP = n.path("max_p_value").asDouble(1e-6);
      minBaseline = n.path("min_baseline_volume").asLong(100);
      maxSegments = n.path("max_segments").asInt(50);
      error = new Rule("error_rate_spike", "critical", n.path("error_rate_spike"));
      retry = new Rule("retry_storm", "warning", n.path("retry_storm"));
      latency = new Rule("latency_p95_spike", "warning", n.path("latency_p95_spike"));
      cost = new Rule("cost_rate_spike", "critical", n.path("cost_rate_spike"));
    }
  }

  /** Judge one window (its tallies by segment), then add it to the history. */
  public List<Verdict> observe(Config c, long start, long end, Map<String, Tally> segments) {
    TreeMap<String, Tally> levels = levels(segments);
    boolean adjacent = pending != null && pendingStart + c.windowMillis == start;
    if (pending != null && !adjacent) {
      remember(c, pendingStart, pending);
      pending = null;
    }
    long from = start - (long) (c.horizonHours * HOUR);
    TreeMap<String, Tally> base = new TreeMap<>();
    for (TreeMap<String, Tally> hour : hours.tailMap(from - HOUR + 1, true).values()) {
      for (Map.Entry<String, Tally> e : hour.entrySet()) {
        base.computeIfAbsent(e.getKey(), k -> new Tally()).merge(e.getValue());
      }
    }
    List<Verdict> out = new ArrayList<>();
    for (Rule rule : new Rule[] {c.error, c.retry, c.latency, c.cost}) {
      Verdict wf = null;
      List<Verdict> segs = new ArrayList<>();
      for (Map.Entry<String, Tally> e : levels.entrySet()) {
        Tally b = base.get(e.getKey());
        if (b == null) {
          continue;
        }
        Tally w = e.getValue();
        Verdict v = judge(c, rule, w, b, start, end, false);
        if (v == null && adjacent && pending.containsKey(e.getKey())) {
          w = pending.get(e.getKey()).copy();
          w.merge(e.getValue());
          v = judge(c, rule, w, b, pendingStart, end, false);
        }
        if (v == null) {
          continue;
        }
        v.segment = WORKFLOW.equals(e.getKey()) ? null : e.getKey();
        v.level = v.segment == null ? "workflow" : "segment";
        v.tally = w;
        if (v.segment == null) {
          wf = v;
        } else {
          segs.add(v);
        }
      }
      if (wf != null && segs.size() == 1 && !sharedByRest(c, rule, wf, segs.get(0), base)) {
        out.add(segs.get(0));
      } else if (wf != null) {
        out.add(wf);
      } else {
        out.addAll(segs);
      }
    }
    java.util.HashSet<String> sent = new java.util.HashSet<>();
    out.removeIf(v -> lastOut.contains(v.rule + "|" + v.segment + "|" + v.windowStart));
    for (Verdict v : out) {
      v.tally = null;
      sent.add(v.rule + "|" + v.segment + "|" + v.windowStart);
    }
    lastOut = sent;
    if (pending != null) {
      remember(c, pendingStart, pending);
    }
    pending = levels;
    pendingStart = start;
    hours.headMap(from - HOUR, false).clear();
    return out;
  }

  /**
   * Whether the rest of the workflow (all but the segment that fired) shows the same effect
   * against its own history, evidence aside: then the change is the workflow's, not the
   * segment's. A rest without calls shows nothing.
   */
  private static boolean sharedByRest(
      Config c, Rule rule, Verdict wf, Verdict seg, Map<String, Tally> base) {
    Tally rest = wf.tally.minus(seg.tally);
    Tally restBase = base.get(WORKFLOW).minus(base.get(seg.segment));
    return judge(c, rule, rest, restBase, wf.windowStart, wf.windowEnd, true) != null;
  }

  private static TreeMap<String, Tally> levels(Map<String, Tally> segments) {
    TreeMap<String, Tally> levels = new TreeMap<>();
    Tally total = new Tally();
    for (Map.Entry<String, Tally> e : segments.entrySet()) {
      levels.put(e.getKey(), e.getValue());
      total.merge(e.getValue());
    }
    levels.put(WORKFLOW, total);
    return levels;
  }

  /** Add a window to its hour; an hour keeps at most max_segments segments (the rest are
   * "(other)"), whatever the windows brought. */
  private void remember(Config c, long start, Map<String, Tally> window) {
    TreeMap<String, Tally> hour =
        hours.computeIfAbsent(Math.floorDiv(start, HOUR) * HOUR, k -> new TreeMap<>());
    for (Map.Entry<String, Tally> e : window.entrySet()) {
      String key = e.getKey();
      if (!hour.containsKey(key) && !WORKFLOW.equals(key) && hour.size() > c.maxSegments) {
        key = WindowStats.OTHER;
      }
      hour.computeIfAbsent(key, k -> new Tally()).merge(e.getValue());
    }
  }

  /** The rule's verdict on a span, or null; {@code effectOnly} asks for the size of the effect
   * alone (no volume, count or p-value condition). */
  private static Verdict judge(
      Config c, Rule r, Tally w, Tally b, long start, long end, boolean effectOnly) {
    Verdict v;
    if (r == c.error) {
      v = share(c, r, Math.min(w.errors, w.trials), w.trials, b.errors, b.trials, effectOnly);
    } else if (r == c.retry) {
      v =
          share(
              c, r, Math.min(w.retries, w.modelCalls), w.modelCalls, b.retries, b.modelCalls,
              effectOnly);
    } else if (r == c.latency) {
      v = tail(c, r, w.latency, b.latency, effectOnly);
      if (v != null) {
        v.observed = w.latency.quantile(0.95);
        v.baseline = b.latency.quantile(0.95);
        v.threshold = r.minRatio * v.baseline;
        if (v.observed < v.threshold) {
          v = null;
        }
      }
    } else {
      v = tail(c, r, w.costs, b.costs, effectOnly);
      if (v != null) {
        v.baseline = b.cost / b.costEvents;
        v.observed = w.cost / w.costEvents;
        v.threshold = r.minRatio * v.baseline;
        if (v.observed < v.threshold
            || (!effectOnly && w.cost - w.costEvents * v.baseline < r.minExcess)) {
          v = null;
        }
      }
    }
    if (v == null) {
      return null;
    }
    v.rule = r.name;
    v.severity = r.severity;
    v.windowStart = start;
    v.windowEnd = end;
    v.firstMillis = w.firstMillis;
    v.horizonHours = c.horizonHours;
    return v;
  }

  /** k of n against the pooled share baseK of baseN. */
  private static Verdict share(
      Config c, Rule r, long k, long n, long baseK, long baseN, boolean effectOnly) {
    if (n == 0 || baseN == 0 || (!effectOnly && (baseN < c.minBaseline || k < r.minCount))) {
      return null;
    }
    double base = (double) baseK / baseN;
    double observed = (double) k / n;
    if (observed < r.minRatio * base || observed < r.minRate) {
      return null;
    }
    double p0 = (baseK + 0.5) / (baseN + 1.0);
    double p = Binomial.upperTail(k, n, p0);
    if (p > c.maxP && !effectOnly) {
      return null;
    }
    long needed = Math.max(Binomial.criticalCount(n, p0, c.maxP), r.minCount);
    needed = Math.max(needed, (long) Math.ceil(r.minRatio * base * n));
    needed = Math.max(needed, (long) Math.ceil(r.minRate * n));
    Verdict v = new Verdict();
    v.observed = observed;
    v.baseline = base;
    v.threshold = Math.min(1.0, (double) needed / n);
    v.windowVolume = n;
    v.baselineVolume = baseN;
    v.pValue = p;
    return v;
  }

  /** The window's values above the baseline's p95, against the baseline's share above it. */
  private static Verdict tail(Config c, Rule r, Sketch w, Sketch b, boolean effectOnly) {
    if (w.count == 0 || b.count == 0 || (!effectOnly && b.count < c.minBaseline)) {
      return null;
    }
    int q = b.quantileBucket(0.95);
    long k = w.countAbove(q);
    if (k < r.minCount && !effectOnly) {
      return null;
    }
    double p0 = (b.countAbove(q) + 0.5) / (b.count + 1.0);
    double p = Binomial.upperTail(k, w.count, p0);
    if (p > c.maxP && !effectOnly) {
      return null;
    }
    Verdict v = new Verdict();
    v.windowVolume = w.count;
    v.baselineVolume = b.count;
    v.pValue = p;
    return v;
  }
}
