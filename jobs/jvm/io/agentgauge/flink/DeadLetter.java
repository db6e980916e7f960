package io.agentgauge.flink;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_DEAD_LETTER(payload)}: what the dead-letter record carries of a rejected payload:
 * the payload redacted ({@link Redact}), cut to {@link #MAX_CHARS} characters so the record fits
 * the Kafka sink's request size whatever the payload (JSON escaping can make a character six
 * bytes), with the original's size in bytes, its SHA-256 and whether it was cut. The same record
 * as {@code agentgauge emit} writes (streams/dlq.py).
 */
public class DeadLetter extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  /** Matches streams/dlq.py MAX_PAYLOAD_CHARS. */
  public static final int MAX_CHARS = 65_536;

  private final Redact redact = new Redact();

  @Override
  public void open(FunctionContext context) throws Exception {
    redact.open(context);
  }

  public @DataTypeHint(
      "ROW<payload STRING, payload_bytes BIGINT, payload_sha256 STRING, payload_truncated BOOLEAN>")
  org.apache.flink.types.Row eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) {
      return org.apache.flink.types.Row.of(null, 0L, null, false);
    }
    Payloads.Utf8 u = new Payloads.Utf8(payload);
    String text = redact.eval(payload).toString(); // invalid UTF-8 decodes to U+FFFD
    boolean cut = text.length() > MAX_CHARS;
    if (cut) {
      int end = MAX_CHARS;
      if (Character.isHighSurrogate(text.charAt(end - 1))) {
        end--; // never half a surrogate pair
      }
      text = text.substring(0, end);
    }
    return org.apache.flink.types.Row.of(text, (long) u.len, sha256(u), cut);
  }

  static String sha256(Payloads.Utf8 u) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(u.bytes, u.off, u.len);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException impossible) {
      throw new IllegalStateException(impossible);
    }
  }
}
