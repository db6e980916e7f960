package io.agentgauge.flink;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code AG_PARSE_EVENT(payload)}: a ROW for every payload, from one parse: {@code reject_reason}
 * (the first rule the payload breaks: of its JSON ({@link #parse}), of contract v1 ({@link
 * ContractV1}), or a {@code ts} too far ahead of the job's clock; NULL when valid) and the
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
          + " max_tool_calls BIGINT, latency_ms DOUBLE, tokens BIGINT, max_tokens BIGINT,"
          + " max_duration_s DOUBLE>";

  /**
   * Not deterministic in the planner's sense, on purpose: the planner then computes it once per
   * row in one Calc and never copies the call into each field access (a parse per field).
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  /** The job parameter with how far ahead of the job's clock an event's ts may be, seconds. */
  public static final String SKEW_PARAMETER = "agentgauge.ts_max_skew_s";

  static final String NOT_JSON = "$: invalid JSON (not one JSON object)";
  private transient long skewMillis = 300_000L;
  private transient Pseudonyms pseudonyms;

  @Override
  public void open(FunctionContext context) throws Exception {
    skewMillis = 1000L * Long.parseLong(context.getJobParameter(SKEW_PARAMETER, "300"));
    String spec = context.getJobParameter(Redact.REDACTION_PARAMETER, null);
    pseudonyms = spec == null ? new Pseudonyms(null) : Pseudonyms.of(Redact.parse(spec));
  }

  public @DataTypeHint(ROW_TYPE) Row eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    Parsed parsed = payload == null ? new Parsed(NOT_JSON) : parse(payload);
    ContractV1.Fields f = parsed.fields;
    Instant ts = Rfc3339.parse(f.ts);
    f.tsParsed = ts != null;
    f.readNumbers();
    String reason = parsed.reason != null ? parsed.reason : ContractV1.reject(f);
    if (reason == null && ts.toEpochMilli() > System.currentTimeMillis() + skewMillis) {
      reason = "ts: ts_in_future (more than " + skewMillis / 1000 + " s ahead of the job's clock)";
    }
    // The identifiers the rules and alerts carry, pseudonymised as the lake's copy is (Redact).
    Pseudonyms ids = pseudonyms == null ? new Pseudonyms(null) : pseudonyms;
    return Row.of(
        reason,
        f.eventId,
        f.eventType,
        f.traceId,
        ids.apply(f.runId),
        ids.apply(f.workflow),
        ids.apply(f.customerId),
        ids.apply(f.segment),
        f.tool,
        f.status,
        f.argsHash,
        f.costUsd,
        f.budgetUsd,
        f.maxTools,
        f.latencyMs,
        f.tokens,
        f.maxTokensLimit,
        f.maxDurationS);
  }

  /** The contract's top-level fields, and the first rule of the JSON itself that is broken. */
  static final class Parsed {
    final ContractV1.Fields fields;
    final String reason;

    Parsed(ContractV1.Fields fields, String reason) {
      this.fields = fields;
      this.reason = reason;
    }

    Parsed(String reason) {
      this(new ContractV1.Fields(), reason);
    }
  }

  /**
   * One strict pass over the payload's UTF-8 bytes, the same rules as the SDK's JSON reader
   * (orjson, streams/emit_file.py): well-formed UTF-8 without a byte order mark, exactly one
   * object, no duplicate key, no unpaired surrogate escape, no number beyond a double, nesting
   * at most {@link Payloads#MAX_DEPTH}. Linear in the payload; nothing here recurses.
   */
  static Parsed parse(StringData payload) {
    Payloads.Utf8 u = new Payloads.Utf8(payload);
    byte[] b = u.bytes;
    int off = u.off;
    int len = u.len;
    if (len >= 3 && (b[off] & 0xFF) == 0xEF && (b[off + 1] & 0xFF) == 0xBB) {
      return new Parsed("$: invalid JSON (a byte order mark)");
    }
    for (int i = off; i < off + Math.min(len, 4); i++) {
      if (b[i] == 0) {
        return new Parsed(NOT_JSON); // also keeps Jackson from guessing UTF-16 or UTF-32
      }
    }
    if (!Payloads.validUtf8(b, off, len)) {
      return new Parsed("$: invalid UTF-8");
    }
    boolean escapes = false;
    for (int i = off; i < off + len - 1; i++) {
      if (b[i] == '\\' && b[i + 1] == 'u') {
        escapes = true;
        break;
      }
    }
    ContractV1.Fields f = new ContractV1.Fields();
    try (JsonParser p = Payloads.JSON.createParser(b, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Parsed(NOT_JSON);
      }
      ArrayDeque<Set<String>> keys = new ArrayDeque<>();
      keys.push(new HashSet<>());
      int depth = 1;
      String field = null; // the top-level field whose value comes next
      int attrs = 0; // the depth of the inside of `attributes`, while in it
      JsonToken t;
      while (depth > 0 && (t = p.nextToken()) != null) {
        switch (t) {
          case FIELD_NAME -> {
            String name = p.currentName();
            if (escapes && Payloads.hasLoneSurrogate(name)) {
              return new Parsed("$: invalid JSON (an unpaired surrogate escape)");
            }
            if (!keys.peek().add(name)) {
              return new Parsed("$: invalid JSON (a duplicate key)");
            }
            field = depth == 1 ? name : null;
          }
          case START_OBJECT, START_ARRAY -> {
            if (depth == attrs) {
              f.attributesNested = true;
            }
            if (field != null) {
              record(f, field, t, p);
              if (field.equals("attributes") && t == JsonToken.START_OBJECT) {
                attrs = depth + 1;
              }
              field = null;
            }
            if (++depth > Payloads.MAX_DEPTH) {
              return new Parsed("$: nested deeper than " + Payloads.MAX_DEPTH + " levels");
            }
            keys.push(t == JsonToken.START_OBJECT ? new HashSet<>() : NO_KEYS);
          }
          case END_OBJECT, END_ARRAY -> {
            if (depth == attrs) {
              attrs = 0;
            }
            depth--;
            keys.pop();
          }
          default -> {
            if (t == JsonToken.VALUE_STRING && escapes && Payloads.hasLoneSurrogate(p.getText())) {
              return new Parsed("$: invalid JSON (an unpaired surrogate escape)");
            }
            if (t == JsonToken.VALUE_NUMBER_FLOAT && Double.isInfinite(p.getDoubleValue())) {
              return new Parsed("$: invalid JSON (a number beyond the range of a double)");
            }
            if (t == JsonToken.VALUE_NUMBER_INT
                && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                && p.getTextLength() > 308) {
              return new Parsed("$: invalid JSON (a number beyond the range of a double)");
            }
            if (depth == attrs && t == JsonToken.VALUE_NULL) {
              f.attributesNested = true; // attribute values are strings, numbers or booleans
            }
            if (field != null) {
              record(f, field, t, p);
              field = null;
            }
          }
        }
      }
      if (depth != 0 || p.nextToken() != null) {
        return new Parsed(NOT_JSON);
      }
    } catch (IOException notJson) {
      return new Parsed(NOT_JSON);
    }
    f.isObject = true;
    return new Parsed(f, null);
  }

  /** A top-level field's kind and text for the contract's type checks, and its value. */
  private static void record(ContractV1.Fields f, String name, JsonToken t, JsonParser p)
      throws IOException {
    if (ContractV1.TYPED.contains(name)) {
      f.kinds.put(name, t);
      if (t.isScalarValue()) {
        f.texts.put(name, p.getText());
      }
    }
    set(f, name, t, p);
  }

  /** Arrays have no keys: a set that is never added to. */
  private static final Set<String> NO_KEYS = Set.of();

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
      case "max_tokens" -> f.maxTokens = number(v, p);
      case "max_duration_s" -> f.maxDuration = number(v, p);
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
