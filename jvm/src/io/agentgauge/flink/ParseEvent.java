package io.agentgauge.flink;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_PARSE_EVENT(payload)}: a ROW for every payload. The payload is
 * parsed once (instead of once per JSON_VALUE call) into the text of each contract field, as
 * JSON_VALUE would return it: strings unescaped, numbers and booleans as written, NULL for a
 * missing field, a JSON null, an object or an array, and for every field when the payload is not
 * one JSON object.
 */
public class ParseEvent extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  private static final String ROW_TYPE =
      "ROW<is_object BOOLEAN, ts_parsed TIMESTAMP_LTZ(3),"
          + " event_id STRING, schema_version STRING, event_type STRING, ts_text STRING,"
          + " trace_id STRING, run_id STRING, workflow STRING, customer_id STRING,"
          + " segment STRING, model_name STRING, tool STRING, status STRING,"
          + " reason_text STRING, category STRING, outcome STRING, args_hash STRING,"
          + " cost_text STRING, budget_text STRING, max_tools_text STRING,"
          + " latency_text STRING, input_tokens_text STRING, output_tokens_text STRING,"
          + " duration_text STRING, attempt_text STRING, confidence_text STRING,"
          + " quality_text STRING>";
  private static final String[] FIELDS = {
    "event_id", "schema_version", "event_type", "ts", "trace_id", "run_id", "workflow",
    "customer_id", "segment", "model", "tool", "status", "reason", "category", "outcome",
    "args_hash", "cost_usd", "budget_usd", "max_tool_calls", "latency_ms", "input_tokens",
    "output_tokens", "duration_ms", "attempt", "confidence", "quality_score"
  };
  private static final Map<String, Integer> INDEX = new HashMap<>();
  private static final JsonFactory JSON = new JsonFactory();

  static {
    for (int i = 0; i < FIELDS.length; i++) {
      INDEX.put(FIELDS[i], i);
    }
  }

  /**
   * Not deterministic in the planner's sense, on purpose: the planner then computes it once per
   * row in one Calc and never copies the call into each field access (30 parses again).
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  public @DataTypeHint(ROW_TYPE) Row eval(String payload) {
    String[] values = new String[FIELDS.length];
    boolean isObject = payload != null && read(payload, values);
    if (!isObject) {
      java.util.Arrays.fill(values, null);
    }
    Object[] out = new Object[2 + FIELDS.length];
    out[0] = isObject;
    out[1] = Rfc3339.parse(values[3]);
    System.arraycopy(values, 0, out, 2, FIELDS.length);
    return Row.of(out);
  }

  /** Fills the wanted top-level fields; false when the text is not exactly one JSON object. */
  private static boolean read(String payload, String[] values) {
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        Integer i = INDEX.get(p.currentName());
        JsonToken v = p.nextToken();
        if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
          p.skipChildren();
          if (i != null) {
            values[i] = null;
          }
        } else if (i != null) {
          values[i] = v == JsonToken.VALUE_NULL ? null : p.getText();
        }
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }
}
