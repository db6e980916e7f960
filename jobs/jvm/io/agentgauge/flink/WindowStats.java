package io.agentgauge.flink;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code AG_WINDOW_STATS(segment, event_type, latency_ms, cost_usd, event_time, max_segments)}
 * in a workflow's tumbling window: the window's {@link Tally} for the workflow and for each of
 * its segments, encoded for {@link WindowBaseline}. A workflow with more than {@code
 * max_segments} segments in one window counts the rest under {@link #OTHER}, so a stream of
 * made-up segment names cannot grow the state.
 */
@DataTypeHint("BYTES")
public class WindowStats extends AggregateFunction<byte[], WindowStats.Acc> {
  private static final long serialVersionUID = 1L;
  public static final String OTHER = "(other)";
  private static final int FORMAT = 1;
  static final int MAX_SEGMENT_CHARS = 200;
  // Partial accumulators each hold at most max_segments; their union is capped here (merge has
  // no argument for the setting), and the baseline caps each hour at max_segments again.
  private static final int MAX_MERGED_SEGMENTS = 1000;

  /** The window's tallies by segment (the workflow's total is their sum). */
  public static class Acc {
    @DataTypeHint("RAW")
    public TreeMap<String, Tally> segments = new TreeMap<>();
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc,
      String segment,
      String eventType,
      Double latencyMs,
      Double costUsd,
      @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eventTime,
      Integer maxSegments) {
    String key = segment == null ? OTHER : segment;
    if (key.length() > MAX_SEGMENT_CHARS) { // DataOutput.writeUTF holds 64 KB at most
      key = key.substring(0, MAX_SEGMENT_CHARS);
    }
    int cap = maxSegments == null ? 50 : maxSegments;
    if (!acc.segments.containsKey(key) && acc.segments.size() >= cap) {
      key = OTHER;
    }
    long millis = eventTime == null ? Long.MAX_VALUE : eventTime.toEpochMilli();
    acc.segments.computeIfAbsent(key, k -> new Tally()).add(eventType, latencyMs, costUsd, millis);
  }

  /** Lets Flink pre-aggregate each window locally before the shuffle (two-phase aggregation):
   * one accumulator per workflow, window and subtask crosses the network, not every event. */
  public void merge(Acc acc, Iterable<Acc> others) {
    for (Acc other : others) {
      for (Map.Entry<String, Tally> e : other.segments.entrySet()) {
        String key = e.getKey();
        if (!acc.segments.containsKey(key) && acc.segments.size() >= MAX_MERGED_SEGMENTS) {
          key = OTHER;
        }
        acc.segments.computeIfAbsent(key, k -> new Tally()).merge(e.getValue());
      }
    }
  }

  @Override
  public byte[] getValue(Acc acc) {
    return encode(acc.segments);
  }

  static byte[] encode(Map<String, Tally> segments) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buf)) {
      out.writeInt(FORMAT);
      out.writeInt(segments.size());
      for (Map.Entry<String, Tally> e : segments.entrySet()) {
        out.writeUTF(e.getKey());
        e.getValue().write(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buf.toByteArray();
  }

  static TreeMap<String, Tally> decode(byte[] bytes) {
    TreeMap<String, Tally> out = new TreeMap<>();
    try (java.io.DataInputStream in =
        new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      if (in.readInt() != FORMAT) {
        throw new IllegalStateException("unknown window stats format");
      }
      int n = in.readInt();
      for (int k = 0; k < n; k++) {
        out.put(in.readUTF(), Tally.read(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
