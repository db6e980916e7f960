package io.agentgauge.flink;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The detection benchmark's engine (bench/bench_detection.py): simulated events on stdin, one
 * per line as {@code workflow TAB segment TAB event_type TAB ts_ms TAB latency_ms TAB cost_usd},
 * alerts on stdout as JSON lines. Events go into per-workflow tumbling windows (closed an hour of
 * event time after their end, as a generous watermark), and each closed window through:
 *
 * <ul>
 *   <li>{@code new}: the job's own {@link WindowStats} and {@link Detector} classes, unchanged;
 *   <li>{@code old}: the retired rules (sql/flink/41_view_workflow_baselines.sql and
 *       42_view_window_alerts.sql before 2026-12-01), ported line by line: the previous 12
 *       windows of the workflow, those meeting each rule's minimum volume, at least 6 of them,
 *       mean + z * std and a ratio.
 * </ul>
 *
 * Args: the anomaly config JSON (as the job gets it) and the max segments per window.
 */
public final class DetectionBench {
  private static final long LATENESS = 3_600_000L;

  private static final class Window {
    final WindowStats.Acc acc = new WindowStats.Acc();
    long events;
    long calls;
    long modelCalls;
    long errors;
    long retries;
    double cost;
    final List<Double> latencies = new ArrayList<>();
  }

  private static final class Flow {
    final TreeMap<Long, Window> open = new TreeMap<>();
    final Detector detector = new Detector();
    final ArrayDeque<double[]> history = new ArrayDeque<>(); // old rules: previous windows
  }

  private final Detector.Config config;
  private final int maxSegments;
  private final long size;
  private final Map<String, Flow> flows = new HashMap<>();
  private final WindowStats stats = new WindowStats();
  private final BufferedWriter out;
  private long windows;

  private DetectionBench(String json, int maxSegments, BufferedWriter out) {
    this.config = Detector.Config.parse(json);
    this.maxSegments = maxSegments;
    this.size = config.windowMillis;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    DetectionBench bench = new DetectionBench(args[0], Integer.parseInt(args[1]), out);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
    String line;
    long watermark = Long.MIN_VALUE;
    long events = 0;
    while ((line = in.readLine()) != null) {
      String[] f = line.split("\t", -1);
      long ts = Long.parseLong(f[3]);
      bench.add(f[0], f[1], f[2], ts, num(f[4]), num(f[5]));
      events++;
      if (ts - LATENESS > watermark + bench.size) {
        watermark = ts - LATENESS;
        bench.close(watermark);
      }
    }
    StringBuilder state = new StringBuilder();
    for (Map.Entry<String, Flow> e : bench.flows.entrySet()) {
      state.append(state.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":")
          .append(serialisedBytes(e.getValue().detector));
    }
    bench.close(Long.MAX_VALUE);
    out.write(
        "{\"done\":true,\"events\":" + events + ",\"windows\":" + bench.windows
            + ",\"state_bytes\":{" + state + "}}\n");
    out.flush();
  }

  /** The Java-serialised size of a workflow's history: about what a checkpoint holds of it. */
  private static int serialisedBytes(Detector d) throws java.io.IOException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(buf)) {
      out.writeObject(d);
    }
    return buf.size();
  }

  private static Double num(String s) {
    return s.isEmpty() ? null : Double.valueOf(s);
  }

  private void add(String wf, String seg, String type, long ts, Double latency, Double cost) {
    Flow flow = flows.computeIfAbsent(wf, k -> new Flow());
    long start = Math.floorDiv(ts, size) * size;
    Window w = flow.open.computeIfAbsent(start, k -> new Window());
    stats.accumulate(
        w.acc, seg, type, latency, cost, java.time.Instant.ofEpochMilli(ts), maxSegments);
    w.events++;
    if (type.equals("model_call") || type.equals("tool_call")) {
      w.calls++;
    }
    if (type.equals("model_call")) {
      w.modelCalls++;
      if (latency != null) {
        w.latencies.add(latency);
      }
    }
    if (type.equals("error")) {
      w.errors++;
    }
    if (type.equals("retry")) {
      w.retries++;
    }
    if (cost != null) {
      w.cost += cost;
    }
  }

  private void close(long watermark) throws Exception {
    for (Map.Entry<String, Flow> e : flows.entrySet()) {
      Flow flow = e.getValue();
      while (!flow.open.isEmpty() && flow.open.firstKey() + size <= watermark) {
        Map.Entry<Long, Window> first = flow.open.pollFirstEntry();
        judge(e.getKey(), flow, first.getKey(), first.getValue());
      }
    }
  }

  private void judge(String wf, Flow flow, long start, Window w) throws Exception {
    windows++;
    for (Detector.Verdict v :
        flow.detector.observe(config, start, start + size, WindowStats.decode(stats.getValue(w.acc)))) {
      out.write(
          String.format(
              java.util.Locale.ROOT,
              "{\"engine\":\"new\",\"rule\":\"%s\",\"workflow\":\"%s\",\"level\":\"%s\","
                  + "\"segment\":%s,\"window_start\":%d,\"window_end\":%d,\"p_value\":%s}\n",
              v.rule, wf, v.level, v.segment == null ? "null" : "\"" + v.segment + "\"",
              v.windowStart, v.windowEnd, v.pValue));
    }
    for (String rule : oldRules(flow, w)) {
      out.write(
          String.format(
              java.util.Locale.ROOT,
              "{\"engine\":\"old\",\"rule\":\"%s\",\"workflow\":\"%s\",\"level\":\"workflow\","
                  + "\"segment\":null,\"window_start\":%d,\"window_end\":%d}\n",
              rule, wf, start, start + size));
    }
  }

  /** Flink's PERCENTILE: linear interpolation between closest ranks. */
  private static double percentile(List<Double> values, double q) {
    if (values.isEmpty()) {
      return 0.0;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    double pos = q * (v.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  }

  /** The retired rules; thresholds as in ceilings.yaml version 2026-11-16.1. */
  private static List<String> oldRules(Flow flow, Window w) {
    double errorRate = (double) w.errors / Math.max(w.calls, 1);
    double p95 = percentile(w.latencies, 0.95);
    double[] row = {
      w.retries,
      w.calls >= 30 ? errorRate : Double.NaN,
      w.modelCalls >= 15 ? p95 : Double.NaN,
      w.events >= 30 ? w.cost : Double.NaN
    };
    List<String> fired = new ArrayList<>();
    ArrayDeque<double[]> h = flow.history;
    double retriesMean = mean(h, 0);
    if (h.size() >= 6 && w.retries >= 10 && w.retries >= 4.0 * retriesMean) {
      fired.add("retry_storm");
    }
    double[] err = stats(h, 1);
    if (err[0] >= 6 && w.calls >= 30 && errorRate > err[1] + 4.0 * err[2]
        && errorRate >= 3.0 * err[1] && errorRate >= 0.15) {
      fired.add("error_rate_spike");
    }
    double[] lat = stats(h, 2);
    if (lat[0] >= 6 && w.modelCalls >= 15 && p95 > lat[1] + 4.0 * lat[2] && p95 >= 2.0 * lat[1]) {
      fired.add("latency_p95_spike");
    }
    double[] cost = stats(h, 3);
    if (cost[0] >= 6 && w.events >= 30 && w.cost > cost[1] + 4.0 * cost[2]
        && w.cost >= 3.0 * cost[1] && w.cost >= cost[1] + 1.0) {
      fired.add("cost_rate_spike");
    }
    h.addLast(row);
    if (h.size() > 12) {
      h.removeFirst();
    }
    return fired;
  }

  private static double mean(ArrayDeque<double[]> h, int col) {
    double s = 0;
    for (double[] r : h) {
      s += r[col];
    }
    return h.isEmpty() ? Double.NaN : s / h.size();
  }

  /** {n, mean, population std} of the non-missing values of a column. */
  private static double[] stats(ArrayDeque<double[]> h, int col) {
    double n = 0;
    double s = 0;
    double q = 0;
    for (double[] r : h) {
      if (!Double.isNaN(r[col])) {
        n++;
        s += r[col];
        q += r[col] * r[col];
      }
    }
    double mean = n == 0 ? Double.NaN : s / n;
    double var = n == 0 ? Double.NaN : Math.max(q / n - mean * mean, 0);
    return new double[] {n, mean, Math.sqrt(var)};
  }
}
