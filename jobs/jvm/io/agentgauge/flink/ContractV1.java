package io.agentgauge.flink;

import java.util.Set;
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

    void readNumbers() {
      costUsd = toDouble(cost);
      budgetUsd = toDouble(budget);
      maxTools = toLong(maxToolCalls);
      latencyMs = toDouble(latency);
    }
  }

  static String reject(Fields f) {
    if (!f.isObject) {
      return "$: invalid JSON (not a JSON object)";
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
    String number = numbers(f);
    if (number != null) {
      return number;
    }
    return byType(f);
  }

  private static String numbers(Fields f) {
    String reason =
        first(
            nonNegative("cost_usd", f.cost, f.costUsd, "a number"),
            nonNegative("budget_usd", f.budget, f.budgetUsd, "a number"),
            nonNegative("max_tool_calls", f.maxToolCalls, f.maxTools, "an integer"),
            nonNegative("latency_ms", f.latency, f.latencyMs, "a number"));
    if (reason != null) {
      return reason;
    }
    if (f.inputTokens != null && !atLeast(toLong(f.inputTokens), 0)) {
      return "input_tokens: must be an integer >= 0";
    }
    if (f.outputTokens != null && !atLeast(toLong(f.outputTokens), 0)) {
      return "output_tokens: must be an integer >= 0";
    }
    Double duration = toDouble(f.duration);
    if (f.duration != null && (duration == null || duration < 0)) {
      return "duration_ms: must be a number >= 0";
    }
    if (f.attempt != null && !atLeast(toLong(f.attempt), 1)) {
      return "attempt: must be an integer >= 1";
    }
    if (f.confidence != null && !unit(toDouble(f.confidence))) {
      return "confidence: must be a number in [0, 1]";
    }
    if (f.quality != null && !unit(toDouble(f.quality))) {
      return "quality_score: must be a number in [0, 1]";
    }
    return null;
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

  /** "<field>: must be <kind>" when present but unreadable, "<field>: must be >= 0" if negative. */
  private static String nonNegative(String field, String text, Number value, String kind) {
    if (text == null) {
      return null;
    }
    if (value == null) {
      return field + ": must be " + kind;
    }
    return value.doubleValue() < 0 ? field + ": must be >= 0" : null;
  }

  private static String first(String... reasons) {
    for (String r : reasons) {
      if (r != null) {
        return r;
      }
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
