package io.agentgauge.flink;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_WINDOW_BASELINE(stats, window_start, window_end, config) OVER (PARTITION BY workflow
 * ORDER BY window_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}: for each window of a
 * workflow, in event-time order, the alerts of the windowed rules with their evidence ({@link
 * Detector}). The state is the workflow's hourly history over the baseline horizon.
 */
@FunctionHint(
    output =
        @DataTypeHint(
            "ARRAY<ROW<rule_name STRING, severity STRING, level STRING, segment STRING,"
                + " window_start TIMESTAMP_LTZ(3), window_end TIMESTAMP_LTZ(3),"
                + " first_event_time TIMESTAMP_LTZ(3), observed DOUBLE, threshold DOUBLE,"
                + " baseline DOUBLE, window_volume BIGINT, baseline_volume BIGINT,"
                + " p_value DOUBLE, baseline_hours DOUBLE>>"))
public class WindowBaseline extends AggregateFunction<Row[], WindowBaseline.Acc> {
  private static final long serialVersionUID = 1L;
  private transient String configJson;
  private transient Detector.Config config;

  /** The workflow's history, and the alerts of the window accumulated last. */
  public static class Acc {
    @DataTypeHint("RAW")
    public Detector detector = new Detector();

    @DataTypeHint("RAW")
    public ArrayList<Detector.Verdict> last = new ArrayList<>();
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc,
      byte[] stats,
      @DataTypeHint("TIMESTAMP_LTZ(3)") Instant windowStart,
      @DataTypeHint("TIMESTAMP_LTZ(3)") Instant windowEnd,
      String json) {
    if (config == null || !json.equals(configJson)) {
      config = Detector.Config.parse(json);
      configJson = json;
    }
    List<Detector.Verdict> verdicts =
        acc.detector.observe(
            config, windowStart.toEpochMilli(), windowEnd.toEpochMilli(), WindowStats.decode(stats));
    acc.last = new ArrayList<>(verdicts);
  }

  @Override
  public Row[] getValue(Acc acc) {
    Row[] rows = new Row[acc.last.size()];
    for (int i = 0; i < rows.length; i++) {
      Detector.Verdict v = acc.last.get(i);
      rows[i] =
          Row.of(
              v.rule, v.severity, v.level, v.segment, Instant.ofEpochMilli(v.windowStart),
              Instant.ofEpochMilli(v.windowEnd),
              v.firstMillis == Long.MAX_VALUE ? null : Instant.ofEpochMilli(v.firstMillis),
              v.observed, v.threshold, v.baseline, v.windowVolume, v.baselineVolume, v.pValue,
              v.horizonHours);
    }
    return rows;
  }
}
