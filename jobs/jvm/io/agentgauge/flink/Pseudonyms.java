package io.agentgauge.flink;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Email-like envelope identifiers become {@code anon-} and 24 hex digits of HMAC-SHA256(key,
 * value): the same as the SDK (streams/redaction.py {@code pseudonym}), so the pseudonym of a
 * customer is the same whichever producer sent its events, and no address reaches the lake or
 * an alert. The key comes from the environment ({@code AGENTGAUGE_PSEUDONYM_KEY}), never from
 * the job's configuration, which is written to files and logs.
 */
final class Pseudonyms {
  static final String KEY_ENV = "AGENTGAUGE_PSEUDONYM_KEY";
  static final String DEFAULT_KEY = "agentgauge-pseudonym-v1"; // DEFAULT_PSEUDONYM_KEY
  /** streams/redaction.py PSEUDONYMISED_FIELDS. */
  static final Set<String> FIELDS =
      Set.of("run_id", "session_id", "workflow", "customer_id", "segment", "idempotency_key");

  private final Pattern email;
  private final ThreadLocal<Mac> mac;

  Pseudonyms(Pattern email) {
    this.email = email;
    String env = System.getenv(KEY_ENV);
    byte[] key = (env == null || env.isEmpty() ? DEFAULT_KEY : env).getBytes(StandardCharsets.UTF_8);
    this.mac =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(key, "HmacSHA256"));
                return m;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  /** From the redaction rules: the email pattern is the one whose token names it. */
  static Pseudonyms of(Redact.Rules rules) {
    for (Redact.Rule r : rules.patterns) {
      if (r.token.equals("[REDACTED:email]")) {
        return new Pseudonyms(r.pattern);
      }
    }
    return new Pseudonyms(null);
  }

  boolean looksLikeEmail(String value) {
    if (value == null || value.indexOf('@') < 0 || email == null) {
      return false;
    }
    try {
      return email.matcher(value).find();
    } catch (StackOverflowError | RuntimeException unscannable) {
      return true; // cannot tell: hide it
    }
  }

  /** The value, or its pseudonym when it looks like an email. */
  String apply(String value) {
    if (!looksLikeEmail(value)) {
      return value;
    }
    byte[] digest = mac.get().doFinal(value.getBytes(StandardCharsets.UTF_8));
    return "anon-" + HexFormat.of().formatHex(digest).substring(0, 24);
  }
}
