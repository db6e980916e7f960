package io.agentgauge.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.metrics.Counter;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_REDACT(payload)}: the payload with the SDK's redaction rules applied
 * ({@code streams/config/redaction.yaml}, compiled by {@code jobs/udf.py} and passed as the job
 * parameter {@code agentgauge.redaction}), for everything the job writes out.
 *
 * <p>A JSON payload is rewritten token by token (Jackson's streaming parser and generator, no
 * recursion): the value of a sensitive key, whatever its type, becomes {@code "[REDACTED:key]"};
 * each string value (but the structural top-level fields the SDK protects) goes through the
 * value patterns; numbers, booleans and nulls are written as they came. So the output is always
 * one line of valid UTF-8 JSON and a value never changes its JSON type unless its key is
 * sensitive. A payload that is not JSON (a dead letter) is redacted as text: the same key rule
 * by a linear scan ({@link #redactKeysInText}), then the patterns.
 *
 * <p>Most payloads need no rewrite, and go on exactly as they came: no rule's prefilter hits, no
 * raw line break, no escape that could hide a match. A pattern that fails on some input (Java's
 * regex engine can overflow the stack on long inputs) replaces the whole value with {@code
 * [REDACTED:unscannable]} and counts {@code redaction_fallbacks}: never a crash, never a leak.
 */
public class Redact extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  public static final String REDACTION_PARAMETER = "agentgauge.redaction";
  static final String KEY_TOKEN = "[REDACTED:key]";
  static final String UNSCANNABLE = "[REDACTED:unscannable]";
  /** Top-level fields downstream joins depend on (streams/redaction.py PROTECTED_FIELDS). */
  static final Set<String> PROTECTED =
      Set.of(
          "event_id", "schema_version", "event_type", "ts", "trace_id", "span_id",
          "parent_span_id", "run_id", "session_id", "workflow", "customer_id", "segment",
          "environment", "cohort", "agent_version", "prompt_version", "policy_version", "model",
          "provider", "tool", "status", "category", "outcome", "strategy", "args_hash",
          "idempotency_key");

  private transient Rules rules;
  private transient Counter fallbacks;
  private transient Pseudonyms pseudonyms;

  static final class Rule {
    final Pattern pattern;
    final String token;
    final String[] hints; // empty: always try the pattern
    final boolean lowerHints;
    final int minDigits; // 0: no digit-run prefilter

    Rule(Pattern pattern, String token, String[] hints, boolean lowerHints, int minDigits) {
      this.pattern = pattern;
      this.token = Matcher.quoteReplacement(token);
      this.hints = hints;
      this.lowerHints = lowerHints;
      this.minDigits = minDigits;
    }

    boolean mayMatch(String text, String lower) {
      if (hints.length > 0 && !containsAny(lowerHints ? lower : text, hints)) {
        return false;
      }
      return minDigits == 0 || hasDigitRun(text, minDigits);
    }
  }

  /** The key names (normalised: lowercased, without '_' and '-') and the value patterns. */
  static final class Rules {
    final String[] keys;
    final List<Rule> patterns;

    Rules(String[] keys, List<Rule> patterns) {
      this.keys = keys;
      this.patterns = patterns;
    }
  }

  /** Counts fallbacks where there is no metric group (tests, the fuzz harness). */
  private static final class Tally implements Counter {
    long n;

    @Override
    public void inc() {
      n++;
    }

    @Override
    public void inc(long k) {
      n += k;
    }

    @Override
    public void dec() {
      n--;
    }

    @Override
    public void dec(long k) {
      n -= k;
    }

    @Override
    public long getCount() {
      return n;
    }
  }

  @Override
  public void open(FunctionContext context) throws Exception {
    String spec = context.getJobParameter(REDACTION_PARAMETER, null);
    if (spec == null) {
      throw new IllegalStateException("job parameter " + REDACTION_PARAMETER + " is not set");
    }
    rules = parse(spec);
    fallbacks = context.getMetricGroup().counter("redaction_fallbacks");
    pseudonyms = Pseudonyms.of(rules);
  }

  /** For the fuzz harness: the function with rules of its own, outside a job. */
  public static Redact withRules(String base64Spec) throws IOException {
    Redact r = new Redact();
    r.rules = parse(base64Spec);
    r.fallbacks = new Tally();
    r.pseudonyms = Pseudonyms.of(r.rules);
    return r;
  }

  public long fallbackCount() {
    return fallbacks.getCount();
  }

  static Rules parse(String base64Spec) throws IOException {
    byte[] json = Base64.getDecoder().decode(base64Spec);
    JsonNode root = new ObjectMapper().readTree(new String(json, StandardCharsets.UTF_8));
    List<String> keys = new ArrayList<>();
    root.get("keys").forEach(k -> keys.add(normaliseKey(k.asText())));
    List<Rule> out = new ArrayList<>();
    for (JsonNode rule : root.get("patterns")) {
      List<String> hints = new ArrayList<>();
      rule.get("hints").forEach(h -> hints.add(h.asText()));
      out.add(
          new Rule(
              Pattern.compile(rule.get("regex").asText()),
              rule.get("token").asText(),
              hints.toArray(new String[0]),
              rule.get("lower").asBoolean(),
              rule.path("min_digits").asInt(0)));
    }
    return new Rules(keys.toArray(new String[0]), out);
  }

  /** A key as the key rule compares it: lowercased, without '_' and '-'. */
  static String normaliseKey(String key) {
    StringBuilder out = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c != '_' && c != '-') {
        out.append(Character.toLowerCase(c));
      }
    }
    return out.toString();
  }

  boolean sensitive(String key) {
    String k = normaliseKey(key);
    for (String name : rules.keys) {
      if (k.endsWith(name)) {
        return true;
      }
    }
    return false;
  }

  public @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) {
      return null;
    }
    Payloads.Utf8 u = new Payloads.Utf8(payload);
    if (!needsRewrite(Payloads.latin1(payload))) {
      return payload;
    }
    byte[] json = rewriteJson(u.bytes, u.off, u.len);
    return json != null ? StringData.fromBytes(json) : StringData.fromString(redactText(u));
  }

  /**
   * Whether a payload may hold something to redact, or may not be one clean line: the cheap
   * tests, on its bytes read as Latin-1 (ASCII reads as itself; the rules' literals are ASCII).
   */
  boolean needsRewrite(String view) {
    if (view.indexOf('\n') >= 0 || view.indexOf('\r') >= 0 || view.indexOf('\\') >= 0) {
      return true; // a line break, or an escape (\\u0040 for @, \\/) that could hide a match
    }
    String lower = view.toLowerCase(Locale.ROOT);
    String stripped = normaliseKey(lower); // separators gone, so key spellings collapse
    for (String name : rules.keys) {
      if (stripped.contains(name)) {
        return true;
      }
    }
    for (Rule rule : rules.patterns) {
      if (rule.mayMatch(view, lower)) {
        return true;
      }
    }
    return false;
  }

  /** The payload as one redacted JSON line, or null when it is not one JSON document. */
  byte[] rewriteJson(byte[] b, int off, int len) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(len + 64);
    try (JsonParser p = Payloads.JSON.createParser(b, off, len);
        JsonGenerator gen = Payloads.JSON.createGenerator(out)) {
      int depth = 0;
      boolean protectedValue = false;
      boolean pseudonymised = false;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case FIELD_NAME -> {
            String name = p.currentName();
            gen.writeFieldName(name);
            if (sensitive(name)) {
              JsonToken v = p.nextToken();
              if (v == null) {
                return null;
              }
              if (v == JsonToken.VALUE_NULL) {
                gen.writeNull();
              } else {
                p.skipChildren(); // an object or an array goes whole (Jackson skips iteratively)
                gen.writeString(KEY_TOKEN);
              }
            } else {
              protectedValue = depth == 1 && PROTECTED.contains(name);
              pseudonymised = depth == 1 && Pseudonyms.FIELDS.contains(name);
            }
          }
          case START_OBJECT -> {
            depth++;
            gen.writeStartObject();
          }
          case START_ARRAY -> {
            depth++;
            gen.writeStartArray();
            protectedValue = false;
            pseudonymised = false;
          }
          case END_OBJECT -> {
            depth--;
            gen.writeEndObject();
          }
          case END_ARRAY -> {
            depth--;
            gen.writeEndArray();
          }
          case VALUE_STRING -> {
            String text = p.getText();
            if (pseudonymised) {
              gen.writeString(pseudonyms.apply(text));
            } else {
              gen.writeString(protectedValue ? text : redactValue(text));
            }
            protectedValue = false;
            pseudonymised = false;
          }
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
            gen.writeNumber(p.getText()); // exactly as written: never reformatted, never redacted
            protectedValue = false;
            pseudonymised = false;
          }
          default -> {
            gen.copyCurrentEvent(p); // true, false, null
            protectedValue = false;
            pseudonymised = false;
          }
        }
      }
    } catch (IOException | RuntimeException notJsonOrNotWritable) {
      return null; // e.g. an unpaired surrogate Jackson will not write: redacted as text
    }
    return out.toByteArray();
  }

  /** One string through the value patterns; on a pattern failure, the whole value goes. */
  String redactValue(String text) {
    String lower = null;
    String out = text;
    for (Rule rule : rules.patterns) {
      if (rule.lowerHints && lower == null) {
        lower = out.toLowerCase(Locale.ROOT);
      }
      if (!rule.mayMatch(out, lower)) {
        continue;
      }
      try {
        String next = rule.pattern.matcher(out).replaceAll(rule.token);
        if (!next.equals(out)) {
          out = next;
          lower = null;
        }
      } catch (StackOverflowError | RuntimeException unscannable) {
        fallbacks.inc();
        return UNSCANNABLE;
      }
    }
    return out;
  }

  /** A payload that is not JSON: decoded (invalid bytes replaced), keys, then the patterns. */
  String redactText(Payloads.Utf8 u) {
    String text = new String(u.bytes, u.off, u.len, StandardCharsets.UTF_8);
    return redactValue(redactKeysInText(text));
  }

  /**
   * The key rule over text that may not parse: every {@code "<key>"} followed by {@code :} whose
   * key is sensitive has its value (a string, or anything up to the next {@code ,} {@code }} or
   * {@code ]} outside strings, brackets included) replaced. One pass, no regex.
   */
  String redactKeysInText(String s) {
    StringBuilder out = null;
    int n = s.length();
    int copied = 0;
    int i = 0;
    while (i < n) {
      if (s.charAt(i) != '"') {
        i++;
        continue;
      }
      int close = endOfString(s, i);
      int j = close + 1;
      while (j < n && Character.isWhitespace(s.charAt(j))) {
        j++;
      }
      if (close >= n || j >= n || s.charAt(j) != ':' || !sensitive(s.substring(i + 1, close))) {
        i = Math.max(close + 1, i + 1);
        continue;
      }
      int v = j + 1;
      while (v < n && Character.isWhitespace(s.charAt(v))) {
        v++;
      }
      int end = endOfValue(s, v);
      if (out == null) {
        out = new StringBuilder(n);
      }
      out.append(s, copied, v).append('"').append(KEY_TOKEN).append('"');
      copied = end;
      i = end;
    }
    return out == null ? s : out.append(s, copied, n).toString();
  }

  /** The index of the quote closing the string opened at {@code open} (n if none). */
  private static int endOfString(String s, int open) {
    int n = s.length();
    for (int k = open + 1; k < n; k++) {
      char c = s.charAt(k);
      if (c == '\\') {
        k++;
      } else if (c == '"') {
        return k;
      }
    }
    return n;
  }

  /** The index just past a value starting at {@code v}: a string, or up to , } ] at depth 0. */
  private static int endOfValue(String s, int v) {
    int n = s.length();
    if (v < n && s.charAt(v) == '"') {
      return Math.min(endOfString(s, v) + 1, n);
    }
    int depth = 0;
    int k = v;
    while (k < n) {
      char c = s.charAt(k);
      if (c == '"') {
        k = endOfString(s, k) + 1;
        continue;
      }
      if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          return k;
        }
        depth--;
      } else if (c == ',' && depth == 0) {
        return k;
      }
      k++;
    }
    return n;
  }

  private static boolean containsAny(String text, String[] hints) {
    for (String h : hints) {
      if (text.contains(h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code min} digits follow each other, single spaces or dashes between them. Such a run
   * spans at least {@code min} characters, so it covers one of every {@code min}-th position: only
   * the stretches of digits, spaces and dashes through those positions are read.
   */
  static boolean hasDigitRun(String s, int min) {
    int n = s.length();
    for (int i = min - 1; i < n; i += min) {
      if (!isRunChar(s.charAt(i))) {
        continue;
      }
      int j = i;
      while (j > 0 && isRunChar(s.charAt(j - 1))) {
        j--;
      }
      int run = 0;
      boolean sep = false;
      for (; j < n && isRunChar(s.charAt(j)); j++) {
        char c = s.charAt(j);
        if (c >= '0' && c <= '9') {
          if (++run >= min) {
            return true;
          }
          sep = false;
        } else if (run > 0 && !sep) {
          sep = true;
        } else {
          run = 0;
          sep = false;
        }
      }
      i = j; // s[j] ends the stretch: a later run covers one of s[j+1 .. j+min]
    }
    return false;
  }

  private static boolean isRunChar(char c) {
    return (c >= '0' && c <= '9') || c == ' ' || c == '-';
  }
}
