package io.agentgauge.flink;

import java.io.IOException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
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

  /**
   * Not deterministic in the planner's sense, on purpose: the planner then computes it once per
   * row in one Calc and never copies the call into each field access (a parse per field).
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  public @DataTypeHint(ROW_TYPE) Row eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    // The contract's top-level fields; NULL when the payload is not exactly one JSON object.
    ContractV1.Fields f = payload == null ? null : Payloads.readJson(payload, ParseEvent::read);
    if (f == null) {
      f = new ContractV1.Fields(); // not one JSON object: every field NULL
    } else {
      f.isObject = true;
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

  private static ContractV1.Fields read(JsonParser parser) throws IOException {
    ContractV1.Fields f = new ContractV1.Fields();
    try (JsonParser p = parser) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
        set(f, name, v, p);
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null ? f : null;
    }
  }

  /** The text of a scalar as JSON_VALUE returns it; NULL for null, an object or an array. */
  private static String text(JsonToken v, JsonParser p) throws IOException {
    return v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : null;
  }

  /**
   * The text of a JSON number, else (a string such as "12", a boolean, an object) {@link
   * ContractV1#NOT_A_NUMBER}, as the SDK's contract is strict about types; NULL for null.
   */
  private static String number(JsonToken v, JsonParser p) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
      return p.getText();
    }
    return v == JsonToken.VALUE_NULL ? null : ContractV1.NOT_A_NUMBER;
  }

  /** Reads the value of a field the contract names; any other field is skipped unread. */
  private static void set(ContractV1.Fields f, String name, JsonToken v, JsonParser p)
      throws IOException {
    switch (name) {
      case "event_id" -> f.eventId = text(v, p);
      case "schema_version" -> f.schemaVersion = text(v, p);
      case "event_type" -> f.eventType = text(v, p);
      case "ts" -> f.ts = text(v, p);
      case "trace_id" -> f.traceId = text(v, p);
      case "run_id" -> f.runId = text(v, p);
      case "workflow" -> f.workflow = text(v, p);
      case "customer_id" -> f.customerId = text(v, p);
      case "segment" -> f.segment = text(v, p);
      case "model" -> f.model = text(v, p);
      case "tool" -> f.tool = text(v, p);
      case "status" -> f.status = text(v, p);
      case "reason" -> f.reason = text(v, p);
      case "category" -> f.category = text(v, p);
      case "outcome" -> f.outcome = text(v, p);
      case "args_hash" -> f.argsHash = text(v, p);
      case "cost_usd" -> f.cost = number(v, p);
      case "budget_usd" -> f.budget = number(v, p);
      case "max_tool_calls" -> f.maxToolCalls = number(v, p);
      case "latency_ms" -> f.latency = number(v, p);
      case "input_tokens" -> f.inputTokens = number(v, p);
      case "output_tokens" -> f.outputTokens = number(v, p);
      case "duration_ms" -> f.duration = number(v, p);
      case "attempt" -> f.attempt = number(v, p);
      case "confidence" -> f.confidence = number(v, p);
      case "quality_score" -> f.quality = number(v, p);
      default -> {}
    }
  }
}
