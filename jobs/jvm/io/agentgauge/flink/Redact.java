package io.agentgauge.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_REDACT(payload)}: the payload with the SDK's redaction rules applied
 * ({@code streams/config/redaction.yaml}, compiled by {@code jobs/udf.py} and passed as the job
 * parameter {@code agentgauge.redaction}). Each rule runs only when one of its prefilter literals
 * occurs, so most payloads are only scanned for those. A payload whose JSON escapes could hide
 * what the rules look for ({@code \\u0040} for {@code @}, {@code api\\u005fkey}, {@code \\/}) is
 * rewritten without them first (the same JSON, re-serialized) and redacted like any other; it goes
 * on rewritten only if a rule hit.
 */
public class Redact extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  public static final String REDACTION_PARAMETER = "agentgauge.redaction";
  private transient List<Rule> rules;

  private static final class Rule {
    final Pattern pattern;
    final String replacement;
    final String[] hints; // empty: always try the pattern
    final boolean lowerHints;
    final int minDigits; // 0: no digit-run prefilter

    Rule(Pattern pattern, String token, boolean keepGroup, String[] hints, boolean lowerHints,
        int minDigits) {
      this.pattern = pattern;
      this.replacement = (keepGroup ? "$1" : "") + Matcher.quoteReplacement(token);
      this.hints = hints;
      this.lowerHints = lowerHints;
      this.minDigits = minDigits;
    }
  }

  @Override
  public void open(FunctionContext context) throws Exception {
    String spec = context.getJobParameter(REDACTION_PARAMETER, null);
    if (spec == null) {
      throw new IllegalStateException("job parameter " + REDACTION_PARAMETER + " is not set");
    }
    rules = parse(spec);
  }

  static List<Rule> parse(String base64Spec) throws IOException {
    byte[] json = Base64.getDecoder().decode(base64Spec);
    JsonNode root = new ObjectMapper().readTree(new String(json, StandardCharsets.UTF_8));
    List<Rule> out = new ArrayList<>();
    for (JsonNode rule : root.get("rules")) {
      List<String> hints = new ArrayList<>();
      rule.get("hints").forEach(h -> hints.add(h.asText()));
      out.add(
          new Rule(
              Pattern.compile(rule.get("regex").asText()),
              rule.get("token").asText(),
              rule.path("keep_group").asBoolean(false),
              hints.toArray(new String[0]),
              rule.get("lower").asBoolean(),
              rule.path("min_digits").asInt(0)));
    }
    return out;
  }

  public @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) {
      return null;
    }
    // The prefilters (ASCII hints, digits) read the payload's bytes as Latin-1, which answers as
    // the decoded text would. Most payloads hit no rule and are returned as they are.
    String view = Payloads.latin1(payload);
    String text = null; // the decoded payload, once a rule applies
    String plain = null; // the payload rewritten without escapes that could hide a match
    if (view.indexOf('\\') >= 0 && (view.contains("\\u") || view.contains("\\/"))) {
      plain = Payloads.unescaped(payload);
      if (plain != null) {
        text = view = plain; // the hints are ASCII: they read the same in the decoded text
      }
    }
    String viewLower = null;
    for (Rule rule : rules) {
      if (rule.hints.length > 0) {
        if (rule.lowerHints && viewLower == null) {
          viewLower = view.toLowerCase(Locale.ROOT);
        }
        if (!containsAny(rule.lowerHints ? viewLower : view, rule.hints)) {
          continue;
        }
      }
      if (rule.minDigits > 0 && !hasDigitRun(text == null ? view : text, rule.minDigits)) {
        continue;
      }
      if (text == null) {
        text = payload.toString();
      }
      text = rule.pattern.matcher(text).replaceAll(rule.replacement);
    }
    // A rewrite that redacted nothing is dropped: the payload goes on exactly as it came.
    return text == null || text.equals(plain) ? payload : StringData.fromString(text);
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
