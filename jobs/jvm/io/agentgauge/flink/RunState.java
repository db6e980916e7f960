package io.agentgauge.flink;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_RUN_STATE(...) OVER (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED
 * PRECEDING AND CURRENT ROW)}: everything the job tracks per run, in one keyed operator.
 *
 * <p>For each row, in arrival order: whether it is a valid event seen for the first time
 * ({@code is_new}; duplicates by {@code event_id} and rejected records are not), the run's totals
 * over its unique events (cost, tool calls, earliest event time), the ceilings in force, and
 * whether this row is the one that first crosses the cost ceiling, the tool-call budget or the
 * loop limit (each at most once per run). The same rules as separate OVER aggregates (de-dup,
 * LAG, running sums, one "first crossing" counter per rule) cost seven keyed operators, each
 * shuffling the row again.
 *
 * <p>Ceilings: {@code MAX(run_started.budget_usd)} seen so far, else {@code default_ceiling}
 * (the workflow's or the default); the same for {@code max_tool_calls}. A crossing event that
 * arrives before {@code run_started} is judged against the default.
 */
@FunctionHint(
    output =
        @DataTypeHint(
            "ROW<is_new BOOLEAN, run_cost DOUBLE, cost_ceiling DOUBLE, cost_crossed BOOLEAN,"
                + " tool_calls BIGINT, tool_limit BIGINT, tool_crossed BOOLEAN,"
                + " loop_repeats BIGINT, loop_crossed BOOLEAN,"
                + " first_event_time TIMESTAMP_LTZ(3), loop_first_event_time TIMESTAMP_LTZ(3),"
                + " tokens BIGINT, token_limit BIGINT, token_crossed BOOLEAN,"
                + " elapsed_s DOUBLE, duration_limit DOUBLE, duration_crossed BOOLEAN>"))
public class RunState extends AggregateFunction<Row, RunState.Acc> {
  private static final long serialVersionUID = 1L;
  private static final long NONE = Long.MIN_VALUE; // no event time seen

  /**
   * Per-run state; the {@code last*} fields describe the row accumulated last.
   *
   * <p>The collections are RAW fields of the accumulator, not state-backed {@code MapView}s: each
   * MapView access is a map-state access with its own TTL bookkeeping (about 5% of the job's task
   * CPU in profiles, plus garbage). A RAW value lives in the accumulator's one value state, is
   * updated in place and expires with the run's other state, {@code table.exec.state.ttl} after
   * the run's last event. Changing these fields changes the job's state layout ({@code
   * STATE_LAYOUT} in jobs/checkpoints.py).
   */
  public static class Acc {
    /**
     * event_ids seen, in two generations by arrival: {@code seen} since {@code seenSince},
     * {@code seenOld} the generation before. When the current generation is a dedup horizon old,
     * it becomes the old one and the oldest is dropped: an id is remembered for at least the
     * horizon and at most twice it, so a long run's memory of ids is bounded by its traffic over
     * the horizon, not by its length.
     */
    @DataTypeHint("RAW")
    public HashSet<String> seen = new HashSet<>();

    @DataTypeHint("RAW")
    public HashSet<String> seenOld = new HashSet<>();

    public long seenSince = NONE;
    /** (tool, args_hash) -> {count, earliest event time}, until the loop rule fired. */
    @DataTypeHint("RAW")
    public HashMap<String, long[]> loops = new HashMap<>();
    public double cost;
    public Double budget;
    public long toolCalls;
    public Long maxToolCalls;
    public Long firstMillis;
    public boolean costFired;
    public boolean toolFired;
    public boolean loopFired;
    public boolean lastNew;
    public Double lastCeiling;
    public Long lastToolLimit;
    public boolean lastCostCrossed;
    public boolean lastToolCrossed;
    public boolean lastLoopCrossed;
    public Long lastLoopRepeats;
    public Long lastLoopFirstMillis;
    public long tokens;
    public Long maxTokens;
    public Double maxDurationS;
    public long lastMillis = NONE;
    public boolean tokenFired;
    public boolean durationFired;
    public Long lastTokenLimit;
    public Double lastDurationLimit;
    public boolean lastTokenCrossed;
    public boolean lastDurationCrossed;
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc,
      Boolean valid,
      String eventId,
      String eventType,
      Double costUsd,
      Double budgetUsd,
      Long maxToolCalls,
      String tool,
      String argsHash,
      @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eventTime,
      Double defaultCeiling,
      Long defaultToolLimit,
      Long loopLimit,
      Long tokens,
      Long maxTokens,
      Double maxDurationS,
      Long defaultTokenLimit,
      Double defaultDurationS,
      Long dedupHorizonMs)
      throws Exception {
    acc.lastTokenCrossed = false;
    acc.lastDurationCrossed = false;
    acc.lastCostCrossed = false;
    acc.lastToolCrossed = false;
    acc.lastLoopCrossed = false;
    acc.lastLoopRepeats = null;
    acc.lastLoopFirstMillis = null;
    acc.lastNew = Boolean.TRUE.equals(valid) && eventId != null && remember(acc, eventId, dedupHorizonMs);
    if (!acc.lastNew) {
      return;
    }
    long millis = eventTime == null ? Long.MAX_VALUE : eventTime.toEpochMilli();
    if (eventTime != null && (acc.firstMillis == null || millis < acc.firstMillis)) {
      acc.firstMillis = millis;
    }
    if (costUsd != null) {
      acc.cost += costUsd;
    }
    if (budgetUsd != null && (acc.budget == null || budgetUsd > acc.budget)) {
      acc.budget = budgetUsd;
    }
    if (maxToolCalls != null && (acc.maxToolCalls == null || maxToolCalls > acc.maxToolCalls)) {
      acc.maxToolCalls = maxToolCalls;
    }
    if (tokens != null) {
      acc.tokens = tokens > Long.MAX_VALUE - acc.tokens ? Long.MAX_VALUE : acc.tokens + tokens;
    }
    if (maxTokens != null && (acc.maxTokens == null || maxTokens > acc.maxTokens)) {
      acc.maxTokens = maxTokens;
    }
    if (maxDurationS != null && (acc.maxDurationS == null || maxDurationS > acc.maxDurationS)) {
      acc.maxDurationS = maxDurationS;
    }
    if (eventTime != null && millis > acc.lastMillis) {
      acc.lastMillis = millis;
    }
    acc.lastTokenLimit = acc.maxTokens != null ? acc.maxTokens : defaultTokenLimit;
    acc.lastDurationLimit = acc.maxDurationS != null ? acc.maxDurationS : defaultDurationS;
    if (!acc.tokenFired && acc.lastTokenLimit != null && acc.tokens > acc.lastTokenLimit) {
      acc.tokenFired = true;
      acc.lastTokenCrossed = true;
    }
    if (!acc.durationFired && acc.lastDurationLimit != null && elapsedS(acc) > acc.lastDurationLimit) {
      acc.durationFired = true;
      acc.lastDurationCrossed = true;
    }
    acc.lastCeiling = acc.budget != null ? acc.budget : defaultCeiling;
    acc.lastToolLimit = acc.maxToolCalls != null ? acc.maxToolCalls : defaultToolLimit;
    if (!acc.costFired && acc.lastCeiling != null && acc.cost > acc.lastCeiling) {
      acc.costFired = true;
      acc.lastCostCrossed = true;
    }
    if (!"tool_call".equals(eventType)) {
      return;
    }
    acc.toolCalls++;
    if (!acc.toolFired && acc.lastToolLimit != null && acc.toolCalls > acc.lastToolLimit) {
      acc.toolFired = true;
      acc.lastToolCrossed = true;
    }
    if (acc.loopFired || argsHash == null || loopLimit == null) {
      return;
    }
    long[] loop = acc.loops.computeIfAbsent(tool + '\u0000' + argsHash, k -> new long[] {0, NONE});
    loop[0]++;
    if (eventTime != null && (loop[1] == NONE || millis < loop[1])) {
      loop[1] = millis;
    }
    if (loop[0] >= loopLimit) {
      acc.loopFired = true;
      acc.lastLoopCrossed = true;
      acc.lastLoopRepeats = loop[0];
      acc.lastLoopFirstMillis = loop[1] == NONE ? null : loop[1];
      acc.loops = new HashMap<>(); // never needed again for this run
    }
  }

  @Override
  public Row getValue(Acc acc) {
    return Row.of(
        acc.lastNew,
        acc.cost,
        acc.lastCeiling,
        acc.lastCostCrossed,
        acc.toolCalls,
        acc.lastToolLimit,
        acc.lastToolCrossed,
        acc.lastLoopRepeats,
        acc.lastLoopCrossed,
        instant(acc.firstMillis),
        instant(acc.lastLoopFirstMillis),
        acc.tokens,
        acc.lastTokenLimit,
        acc.lastTokenCrossed,
        elapsedS(acc),
        acc.lastDurationLimit,
        acc.lastDurationCrossed);
  }

  /** Whether {@code eventId} is new to the run within the dedup horizon (and remember it). */
  static boolean remember(Acc acc, String eventId, Long horizonMs) {
    long now = System.currentTimeMillis();
    if (acc.seenSince == NONE) {
      acc.seenSince = now;
    } else if (horizonMs != null && now - acc.seenSince >= horizonMs) {
      // Not accessed for two horizons: the newest id in ``seen`` is older than one (an access
      // in between would have rotated), so both generations go.
      acc.seenOld = now - acc.seenSince >= 2 * horizonMs ? new HashSet<>() : acc.seen;
      acc.seen = new HashSet<>();
      acc.seenSince = now;
    }
    return !acc.seenOld.contains(eventId) && acc.seen.add(eventId);
  }

  /** Seconds from the run's earliest to its latest event time so far. */
  static double elapsedS(Acc acc) {
    if (acc.firstMillis == null || acc.lastMillis == NONE) {
      return 0.0;
    }
    return Math.max(0, acc.lastMillis - acc.firstMillis) / 1000.0;
  }

  static Instant instant(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }
}
