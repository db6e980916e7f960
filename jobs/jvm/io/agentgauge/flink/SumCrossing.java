package io.agentgauge.flink;

import java.time.Instant;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_SUM_CROSSING(value, event_time, ceiling) OVER (PARTITION BY key ORDER BY proc_time
 * ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}: the running sum, the earliest event time,
 * and {@code crossed}, true on the one row whose value first takes the sum above the ceiling.
 * (A running SUM followed by a second OVER counting the rows above the ceiling is two keyed
 * operators for the same thing.)
 */
@FunctionHint(
    output =
        @DataTypeHint(
            "ROW<total DOUBLE, first_event_time TIMESTAMP_LTZ(3), crossed BOOLEAN>"))
public class SumCrossing extends AggregateFunction<Row, SumCrossing.Acc> {
  private static final long serialVersionUID = 1L;

  /** Running state; {@code lastCrossed} describes the row accumulated last. */
  public static class Acc {
    public double total;
    public Long firstMillis;
    public boolean fired;
    public boolean lastCrossed;
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc, Double value, @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eventTime, Double ceiling) {
    if (value != null) {
      acc.total += value;
    }
    if (eventTime != null
        && (acc.firstMillis == null || eventTime.toEpochMilli() < acc.firstMillis)) {
      acc.firstMillis = eventTime.toEpochMilli();
    }
    acc.lastCrossed = !acc.fired && ceiling != null && acc.total > ceiling;
    acc.fired |= acc.lastCrossed;
  }

  @Override
  public Row getValue(Acc acc) {
    return Row.of(acc.total, RunState.instant(acc.firstMillis), acc.lastCrossed);
  }
}
