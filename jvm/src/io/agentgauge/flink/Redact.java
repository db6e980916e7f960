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
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_REDACT(payload)}: the payload with the SDK's redaction rules applied
 * ({@code streams/config/redaction.yaml}, compiled by {@code jobs/udf.py} and passed as the job
 * parameter {@code agentgauge.redaction}). Each rule runs only when one of its prefilter literals
 * occurs, so most payloads are only scanned for those.
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

  public String eval(String payload) {
    if (payload == null) {
      return null;
    }
    String lower = null;
    String out = payload;
    for (Rule rule : rules) {
      if (rule.hints.length > 0) {
        if (rule.lowerHints && lower == null) {
          lower = payload.toLowerCase(Locale.ROOT);
        }
        String subject = rule.lowerHints ? lower : payload;
        boolean hit = false;
        for (String h : rule.hints) {
          if (subject.contains(h)) {
            hit = true;
            break;
          }
        }
        if (!hit) {
          continue;
        }
      }
      if (rule.minDigits > 0 && !hasDigitRun(out, rule.minDigits)) {
        continue;
      }
      out = rule.pattern.matcher(out).replaceAll(rule.replacement);
    }
    return out;
  }

  /** Whether {@code min} digits follow each other, single spaces or dashes between them. */
  static boolean hasDigitRun(String s, int min) {
    int run = 0;
    boolean sep = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++run >= min) {
          return true;
        }
        sep = false;
      } else if ((c == ' ' || c == '-') && run > 0 && !sep) {
        sep = true;
      } else {
        run = 0;
        sep = false;
      }
    }
    return false;
  }
}
