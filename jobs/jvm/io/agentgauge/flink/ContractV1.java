package io.agentgauge.flink;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import java.util.regex.Pattern;

/**
 * Event contract v1 as the job checks it: the first broken rule of a parsed event, as the
 * dead-letter reason ({@code <field>: <rule>}), or null when the event is valid. Rules are tried
 * in a fixed order, so a record breaking several always gets the same reason. As in the SDK's
 * contract ({@code streams/contract.py}), numbers must be JSON numbers (a string "12" is not),
 * counts integers (not 3.0), and all finite.
 *
 * <p>Java rather than a SQL CASE: the CASE compiled into one very large generated method that
 * cost ~15% of the job's CPU and much of its JIT warm-up.
 */
final class ContractV1 {
  private ContractV1() {}

  /** The text ParseEvent keeps for a numeric field whose value is not a JSON number. */
  static final String NOT_A_NUMBER = "(not a number)";

  static final Set<String> EVENT_TYPES =
      Set.of(
          "run_started", "model_call", "tool_call", "decision", "retry", "error", "escalation",
          "human_review", "run_finished");
  static final Set<String> RETRY_REASONS =
      Set.of(
          "rate_limit", "timeout", "transient_error", "malformed_output", "validation_failed",
          "tool_error", "low_confidence", "other");
  static final Set<String> ERROR_CATEGORIES =
      Set.of(
          "tool_error", "policy_violation", "context_failure", "model_failure", "timeout",
          "budget_exceeded", "other");
  static final Set<String> REVIEW_OUTCOMES = Set.of("approved", "overridden", "rejected");
  static final Set<String> RUN_STATUSES = Set.of("success", "failure", "escalated", "halted");
  static final Set<String> CALL_STATUSES = Set.of("ok", "error");
  private static final Pattern SCHEMA_VERSION = Pattern.compile("[0-9]+\\.[0-9]+");
  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

  /** The parsed fields of one event (text as in the payload; null when missing). */
  static final class Fields {
    boolean isObject;
    boolean tsParsed;
    /** The JSON type of each top-level field (as parsed); fields absent are not in it. */
    final java.util.HashMap<String, JsonToken> kinds = new java.util.HashMap<>();
    /** The text of each top-level scalar field (numbers as written). */
    final java.util.HashMap<String, String> texts = new java.util.HashMap<>();
    /** Whether `attributes` holds a value that is not a string, number or boolean. */
    boolean attributesNested;
    String eventId;
    String schemaVersion;
    String eventType;
    String ts;
    String traceId;
    String runId;
    String workflow;
    String customerId;
    String segment;
    String model;
    String tool;
    String status;
    String reason;
    String category;
    String outcome;
    String argsHash;
    String cost;
    String budget;
    String maxToolCalls;
    String maxTokens;
    String maxDuration;
    String latency;
    String inputTokens;
    String outputTokens;
    String duration;
    String attempt;
    String confidence;
    String quality;
    // The values the rules use, read once (for the check and for the job's row).
    Double costUsd;
    Double budgetUsd;
    Long maxTools;
    Double latencyMs;
    Long tokens; // input + output tokens of a model call (saturating), null without either
    Long maxTokensLimit;
    Double maxDurationS;

    void readNumbers() {
      costUsd = toDouble(cost);
      budgetUsd = toDouble(budget);
      maxTools = toLong(maxToolCalls);
      latencyMs = toDouble(latency);
      Long in = toLong(inputTokens);
      Long out = toLong(outputTokens);
      if (in != null || out != null) {
        long a = in == null ? 0 : Math.max(0, in);
        long b = out == null ? 0 : Math.max(0, out);
        tokens = a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
      }
      maxTokensLimit = toLong(maxTokens);
      maxDurationS = toDouble(maxDuration);
    }
  }

  static String reject(Fields f) {
    if (!f.isObject) {
      return "$: invalid JSON (not a JSON object)";
    }
    for (String field : ENVELOPE_STRINGS) {
      JsonToken k = f.kinds.get(field);
      if (k != null && k != JsonToken.VALUE_STRING && k != JsonToken.VALUE_NULL) {
        return field + ": must be a string";
      }
    }
    if (f.schemaVersion == null) {
      return "schema_version: field required";
    }
    if (!SCHEMA_VERSION.matcher(f.schemaVersion).matches()) {
      return "schema_version: must be \"<major>.<minor>\"";
    }
    if (!f.schemaVersion.substring(0, f.schemaVersion.indexOf('.')).equals("1")) {
      return "schema_version: unsupported major version (this reader takes 1.x)";
    }
    if (f.eventType == null) {
      return "event_type: field required";
    }
    if (!EVENT_TYPES.contains(f.eventType)) {
      return "event_type: unknown event type";
    }
    if (blank(f.eventId)) {
      return "event_id: field required (non-empty string)";
    }
    if (f.ts == null) {
      return "ts: field required";
    }
    if (!f.tsParsed) {
      return "ts: must be an RFC 3339 timestamp with an offset";
    }
    if (f.traceId == null || !TRACE_ID.matcher(f.traceId).matches()) {
      return "trace_id: must be 32 lowercase hex characters";
    }
    if (blank(f.runId)) {
      return "run_id: field required (non-empty string)";
    }
    if (blank(f.workflow)) {
      return "workflow: field required (non-empty string)";
    }
    if (blank(f.customerId)) {
      return "customer_id: field required (non-empty string)";
    }
    if (blank(f.segment)) {
      return "segment: field required (non-empty string)";
    }
    String typed = typed(f);
    if (typed != null) {
      return typed;
    }
    return byType(f);
  }

  /** The kinds of value a field of an event type takes (streams/contract.py, per model). */
  enum Kind {
    STR, // a string, or null
    SPAN, // 16 lowercase hex characters, or null
    NUM, // a number >= 0, or null
    INT, // an integer 0 .. 2^63-1, or null
    ATTEMPT, // an integer 1 .. 2^63-1, or null
    UNIT, // a number in [0, 1], or null
    BOOL, // true or false, or null
    ATTRS // a flat object of strings, numbers and booleans, or null
  }

  /** Fields every event carries whose value must be a string (the required ones checked too). */
  static final List<String> ENVELOPE_STRINGS =
      List.of(
          "event_id", "schema_version", "ts", "trace_id", "run_id", "workflow", "customer_id",
          "segment");

  static final Map<String, Kind> ENVELOPE =
      Map.of(
          "span_id", Kind.SPAN,
          "parent_span_id", Kind.SPAN,
          "session_id", Kind.STR,
          "environment", Kind.STR,
          "cohort", Kind.STR,
          "agent_version", Kind.STR,
          "prompt_version", Kind.STR,
          "policy_version", Kind.STR,
          "attributes", Kind.ATTRS);

  static final Map<String, Map<String, Kind>> BY_TYPE =
      Map.of(
          "run_started",
              Map.of(
                  "budget_usd", Kind.NUM,
                  "max_tool_calls", Kind.INT,
                  "max_tokens", Kind.INT,
                  "max_duration_s", Kind.NUM),
          "model_call",
              Map.of(
                  "model", Kind.STR,
                  "provider", Kind.STR,
                  "input_tokens", Kind.INT,
                  "output_tokens", Kind.INT,
                  "cost_usd", Kind.NUM,
                  "latency_ms", Kind.NUM,
                  "attempt", Kind.ATTEMPT,
                  "status", Kind.STR),
          "tool_call",
              Map.of(
                  "tool", Kind.STR,
                  "status", Kind.STR,
                  "latency_ms", Kind.NUM,
                  "cost_usd", Kind.NUM,
                  "attempt", Kind.ATTEMPT,
                  "args_hash", Kind.STR,
                  "idempotency_key", Kind.STR),
          "decision", Map.of("decision", Kind.STR, "confidence", Kind.UNIT),
          "retry", Map.of("reason", Kind.STR, "attempt", Kind.ATTEMPT, "strategy", Kind.STR),
          "error",
              Map.of("category", Kind.STR, "code", Kind.STR, "message", Kind.STR, "fatal", Kind.BOOL),
          "escalation", Map.of("reason", Kind.STR, "queue", Kind.STR),
          "human_review", Map.of("outcome", Kind.STR, "reviewer_id", Kind.STR),
          "run_finished",
              Map.of(
                  "status", Kind.STR,
                  "reason", Kind.STR,
                  "duration_ms", Kind.NUM,
                  "quality_score", Kind.UNIT));

  /** Every top-level field the contract types (ParseEvent records its kind and text). */
  static final Set<String> TYPED = typedFields();

  private static Set<String> typedFields() {
    Set<String> all = new java.util.HashSet<>(ENVELOPE_STRINGS);
    all.addAll(ENVELOPE.keySet());
    BY_TYPE.values().forEach(m -> all.addAll(m.keySet()));
    return Set.copyOf(all);
  }

  static final Set<String> RETRY_STRATEGIES = Set.of("quick", "backoff", "guided", "human");
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");

  /** The envelope's optional fields, then the event type's, each of the kind its model says. */
  private static String typed(Fields f) {
    for (Map.Entry<String, Kind> e : ENVELOPE.entrySet()) {
      String why = check(f, e.getKey(), e.getValue());
      if (why != null) {
        return why;
      }
    }
    for (Map.Entry<String, Kind> e : BY_TYPE.get(f.eventType).entrySet()) {
      String why = check(f, e.getKey(), e.getValue());
      if (why != null) {
        return why;
      }
    }
    String strategy = f.texts.get("strategy");
    if (f.eventType.equals("retry") && strategy != null && !RETRY_STRATEGIES.contains(strategy)) {
      return "strategy: must be quick, backoff, guided or human";
    }
    return null;
  }

  private static String check(Fields f, String field, Kind kind) {
    JsonToken k = f.kinds.get(field);
    if (k == null || k == JsonToken.VALUE_NULL) {
      return null; // absent or null: every such field is optional (required ones: byType)
    }
    String text = f.texts.get(field);
    boolean number = k == JsonToken.VALUE_NUMBER_INT || k == JsonToken.VALUE_NUMBER_FLOAT;
    switch (kind) {
      case STR -> {
        return k == JsonToken.VALUE_STRING ? null : field + ": must be a string";
      }
      case SPAN -> {
        return k == JsonToken.VALUE_STRING && SPAN_ID.matcher(text).matches()
            ? null
            : field + ": must be 16 lowercase hex characters";
      }
      case BOOL -> {
        return k == JsonToken.VALUE_TRUE || k == JsonToken.VALUE_FALSE
            ? null
            : field + ": must be true or false";
      }
      case ATTRS -> {
        return k == JsonToken.START_OBJECT && !f.attributesNested
            ? null
            : field + ": must be a flat object of strings, numbers and booleans";
      }
      case NUM -> {
        Double v = number ? toDouble(text) : null;
        return v != null && v >= 0 ? null : field + ": must be a number >= 0";
      }
      case UNIT -> {
        Double v = number ? toDouble(text) : null;
        return unit(v) ? null : field + ": must be a number in [0, 1]";
      }
      case INT -> {
        Long v = k == JsonToken.VALUE_NUMBER_INT ? toLong(text) : null;
        return atLeast(v, 0) ? null : field + ": must be an integer >= 0";
      }
      case ATTEMPT -> {
        Long v = k == JsonToken.VALUE_NUMBER_INT ? toLong(text) : null;
        return atLeast(v, 1) ? null : field + ": must be an integer >= 1";
      }
      default -> {
        return null;
      }
    }
  }

  private static String byType(Fields f) {
    String type = f.eventType;
    boolean call = type.equals("model_call") || type.equals("tool_call");
    if (type.equals("model_call") && blank(f.model)) {
      return "model: field required";
    }
    if (call && f.status != null && !CALL_STATUSES.contains(f.status)) {
      return "status: must be ok or error";
    }
    if (type.equals("tool_call") && blank(f.tool)) {
      return "tool: field required";
    }
    if (type.equals("tool_call") && f.status == null) {
      return "status: field required";
    }
    if (type.equals("retry") && (f.reason == null || !RETRY_REASONS.contains(f.reason))) {
      return "reason: field required, one of the retry reasons";
    }
    if (type.equals("error") && (f.category == null || !ERROR_CATEGORIES.contains(f.category))) {
      return "category: field required, one of the error categories";
    }
    if (type.equals("escalation") && blank(f.reason)) {
      return "reason: field required";
    }
    if (type.equals("human_review")
        && (f.outcome == null || !REVIEW_OUTCOMES.contains(f.outcome))) {
      return "outcome: field required: approved, overridden or rejected";
    }
    if (type.equals("run_finished") && (f.status == null || !RUN_STATUSES.contains(f.status))) {
      return "status: field required: success, failure, escalated or halted";
    }
    return null;
  }

  private static boolean blank(String s) {
    return s == null || s.isEmpty();
  }

  private static boolean atLeast(Long v, long min) {
    return v != null && v >= min;
  }

  private static boolean unit(Double v) {
    return v != null && v >= 0 && v <= 1;
  }

  /** The value of a JSON number's text; null for anything else and for non-finite values. */
  static Double toDouble(String text) {
    if (text == null) {
      return null;
    }
    try {
      double v = Double.parseDouble(text);
      return Double.isFinite(v) ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The value of a JSON integer's text; null for anything else (3.0, 1e3, out of range). */
  static Long toLong(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
