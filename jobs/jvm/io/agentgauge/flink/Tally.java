package io.agentgauge.flink;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * What the windowed rules count for one level (a workflow, or one of its segments) over a span
 * of time: a window, or the pooled baseline. Every field adds up, so a baseline is the sum of
 * its windows.
 */
public final class Tally implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Calls and finished runs: the trials an error can belong to. */
  public long trials;
  public long errors;
  public long modelCalls;
  public long retries;
  /** Events with a cost, and their total. */
  public long costEvents;
  public double cost;
  public long firstMillis = Long.MAX_VALUE;
  public Sketch latency = new Sketch();
  public Sketch costs = new Sketch();

  public Tally() {}

  public void add(String eventType, Double latencyMs, Double costUsd, long millis) {
    firstMillis = Math.min(firstMillis, millis);
    if (eventType == null) {
      return;
    }
    switch (eventType) {
      case "model_call":
        trials++;
        modelCalls++;
        if (latencyMs != null) {
          latency.add(latencyMs);
        }
        break;
      case "tool_call":
      case "run_finished":
        trials++;
        break;
      case "error":
        errors++;
        break;
      case "retry":
        retries++;
        break;
      default:
        break;
    }
    if (costUsd != null && costUsd > 0 && !Double.isInfinite(costUsd)) {
      costEvents++;
      cost += costUsd;
      costs.add(costUsd);
    }
  }

  public void merge(Tally o) {
    trials += o.trials;
    errors += o.errors;
    modelCalls += o.modelCalls;
    retries += o.retries;
    costEvents += o.costEvents;
    cost += o.cost;
    firstMillis = Math.min(firstMillis, o.firstMillis);
    latency.merge(o.latency);
    costs.merge(o.costs);
  }

  /** This tally without {@code part} (a tally merged into it). */
  public Tally minus(Tally part) {
    Tally t = new Tally();
    t.trials = Math.max(0, trials - part.trials);
    t.errors = Math.max(0, errors - part.errors);
    t.modelCalls = Math.max(0, modelCalls - part.modelCalls);
    t.retries = Math.max(0, retries - part.retries);
    t.costEvents = Math.max(0, costEvents - part.costEvents);
    t.cost = Math.max(0, cost - part.cost);
    t.firstMillis = firstMillis;
    t.latency = latency.minus(part.latency);
    t.costs = costs.minus(part.costs);
    return t;
  }

  public Tally copy() {
    Tally t = new Tally();
    t.merge(this);
    return t;
  }

  void write(DataOutputStream out) throws IOException {
    out.writeLong(trials);
    out.writeLong(errors);
    out.writeLong(modelCalls);
    out.writeLong(retries);
    out.writeLong(costEvents);
    out.writeDouble(cost);
    out.writeLong(firstMillis);
    latency.write(out);
    costs.write(out);
  }

  static Tally read(DataInputStream in) throws IOException {
    Tally t = new Tally();
    t.trials = in.readLong();
    t.errors = in.readLong();
    t.modelCalls = in.readLong();
    t.retries = in.readLong();
    t.costEvents = in.readLong();
    t.cost = in.readDouble();
    t.firstMillis = in.readLong();
    t.latency = Sketch.read(in);
    t.costs = Sketch.read(in);
    return t;
  }
}
