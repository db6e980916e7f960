package io.agentgauge.flink;

import java.io.IOException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_PARSE_EVENT(payload)}: a ROW for every payload, from one parse: {@code reject_reason}
 * (the first contract-v1 rule the event breaks, {@link ContractV1}; NULL when valid) and the
 * fields the rules need. Field text is read as JSON_VALUE would return it: strings unescaped,
 * numbers as written, NULL for a missing field, a JSON null, an object or an array, and for every
 * field when the payload is not one JSON object.
 */
public class ParseEvent extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  private static final String ROW_TYPE =
      "ROW<reject_reason STRING, event_id STRING, event_type STRING, trace_id STRING,"
          + " run_id STRING, workflow STRING, customer_id STRING, segment STRING, tool STRING,"
          + " status STRING, args_hash STRING, cost_usd DOUBLE, budget_usd DOUBLE,"
          + " max_tool_calls BIGINT, latency_ms DOUBLE>";
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * Not deterministic in the planner's sense, on purpose: the planner then computes it once per
   * row in one Calc and never copies the call into each field access (a parse per field).
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  public @DataTypeHint(ROW_TYPE) Row eval(String payload) {
    ContractV1.Fields f = new ContractV1.Fields();
    f.isObject = payload != null && read(payload, f);
    if (!f.isObject) {
      f = new ContractV1.Fields(); // every field NULL
    }
    f.tsParsed = Rfc3339.parse(f.ts) != null;
    f.readNumbers();
    return Row.of(
        ContractV1.reject(f),
        f.eventId,
        f.eventType,
        f.traceId,
        f.runId,
        f.workflow,
        f.customerId,
        f.segment,
        f.tool,
        f.status,
        f.argsHash,
        f.costUsd,
        f.budgetUsd,
        f.maxTools,
        f.latencyMs);
  }

  /** Fills the contract's top-level fields; false when the text is not exactly one JSON object. */
  private static boolean read(String payload, ContractV1.Fields f) {
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
        if (!setNumber(f, name, v, p)) {
          set(f, name, v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : null);
        }
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The numeric fields: the text of a JSON number, else (a string such as "12", a boolean, an
   * object) {@link ContractV1#NOT_A_NUMBER}, as the SDK's contract is strict about types. False
   * when the field is not numeric.
   */
  private static boolean setNumber(ContractV1.Fields f, String name, JsonToken v, JsonParser p)
      throws IOException {
    switch (name) {
      case "cost_usd", "budget_usd", "latency_ms", "duration_ms", "confidence", "quality_score",
          "max_tool_calls", "input_tokens", "output_tokens", "attempt" -> {}
      default -> {
        return false;
      }
    }
    String text = null;
    if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
      text = p.getText();
    } else if (v != JsonToken.VALUE_NULL) {
      text = ContractV1.NOT_A_NUMBER;
    }
    set(f, name, text);
    return true;
  }

  private static void set(ContractV1.Fields f, String name, String text) {
    switch (name) {
      case "event_id" -> f.eventId = text;
      case "schema_version" -> f.schemaVersion = text;
      case "event_type" -> f.eventType = text;
      case "ts" -> f.ts = text;
      case "trace_id" -> f.traceId = text;
      case "run_id" -> f.runId = text;
      case "workflow" -> f.workflow = text;
      case "customer_id" -> f.customerId = text;
      case "segment" -> f.segment = text;
      case "model" -> f.model = text;
      case "tool" -> f.tool = text;
      case "status" -> f.status = text;
      case "reason" -> f.reason = text;
      case "category" -> f.category = text;
      case "outcome" -> f.outcome = text;
      case "args_hash" -> f.argsHash = text;
      case "cost_usd" -> f.cost = text;
      case "budget_usd" -> f.budget = text;
      case "max_tool_calls" -> f.maxToolCalls = text;
      case "latency_ms" -> f.latency = text;
      case "input_tokens" -> f.inputTokens = text;
      case "output_tokens" -> f.outputTokens = text;
      case "duration_ms" -> f.duration = text;
      case "attempt" -> f.attempt = text;
      case "confidence" -> f.confidence = text;
      case "quality_score" -> f.quality = text;
      default -> {}
    }
  }
}
